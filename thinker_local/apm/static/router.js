// Which view an address shows, and moving between addresses without a full reload.

import { link, windowParam } from "./api.js";
import { esc } from "./format.js";
import * as errors from "./views/errors.js";
import * as live from "./views/live.js";
import * as logs from "./views/logs.js";
import * as map from "./views/map.js";
import * as resource from "./views/resource.js";
import * as service from "./views/service.js";
import * as serverless from "./views/serverless.js";
import * as services from "./views/services.js";
import * as trace from "./views/trace.js";
import * as traces from "./views/traces.js";

const view = document.getElementById("view");
const windowSelect = document.getElementById("window");

// First match wins; a view may return a function that stops what it started (a poll).
const ROUTES = [
  [(path) => path === "/live", () => live.show(view)],
  [(path) => path === "/logs", (_, params) => logs.show(view, params, navigate)],
  [(path) => path === "/traces", (_, params) => traces.show(view, params)],
  [(path) => path.startsWith("/traces/"), (path, params) => trace.show(view, decodeURIComponent(path.slice(8)), params)],
  [(path) => path === "/resource", (_, params) => resource.show(view, params)],
  [(path) => path === "/errors", (_, params) => errors.show(view, params)],
  [(path) => path.startsWith("/errors/"), (path) => errors.showIssue(view, decodeURIComponent(path.slice(8)))],
  [(path) => path === "/serverless", () => serverless.show(view)],
  [(path) => path.startsWith("/serverless/"), (path) => serverless.showFunction(view, decodeURIComponent(path.slice(12)))],
  [(path) => path === "/map", () => map.show(view, navigate)],
  [(path) => path === "/map/edge", (_, params) => map.showEdge(view, params)],
  [(path) => path.startsWith("/services/"), (path) => service.show(view, decodeURIComponent(path.slice(10)))],
  [() => true, () => services.show(view)],
];

let leave = null;

export async function route() {
  if (leave) leave();
  leave = null;
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  windowSelect.value = windowParam();
  const section = path === "/live" ? "live" : path === "/logs" ? "logs" : path === "/traces" ? "traces" : path.startsWith("/serverless") ? "serverless"
    : path.startsWith("/errors") ? "errors"
    : path.startsWith("/map") ? "map" : "services";
  document.querySelectorAll(".topbar nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === section));
  try {
    const [, show] = ROUTES.find(([matches]) => matches(path));
    const stop = await show(path, params);
    if (typeof stop === "function") leave = stop;
    document.title = `${document.querySelector("h1")?.textContent.trim() || "APM"} · thinker APM`;
  } catch (error) {
    view.innerHTML = `<div class="card empty bad">${esc(error.message)}</div>`;
  }
}

export function navigate(href) {
  history.pushState(null, "", href);
  route();
}

// Rows and links inside the view, the top bar and the time window move between pages in place.
export function start() {
  view.addEventListener("click", (event) => {
    // A link inside a row goes where it says; the rest of the row, where the row does.
    const a = event.target.closest("a[href^='/']");
    if (a) {
      if (!event.metaKey && !event.ctrlKey) { event.preventDefault(); navigate(a.getAttribute("href")); }
      return;
    }
    const row = event.target.closest("tr[data-href]");
    if (row) navigate(row.dataset.href);
  });
  document.querySelectorAll(".topbar a[href^='/']").forEach((a) => a.addEventListener("click", (event) => {
    event.preventDefault();
    navigate(link(a.getAttribute("href")));
  }));
  windowSelect.addEventListener("change", () => {
    const query = new URLSearchParams(location.search);
    query.set("window", windowSelect.value);
    navigate(`${location.pathname}?${query}`);
  });
  window.addEventListener("popstate", route);
  route();
}
