// /resource?service=&resource=&name=: a resource's stats, graphs, and its traces with filters.

import { api, link, windowParam } from "../api.js";
import { dot, graphs, tiles, TRACE_HEAD, traceRows } from "../components.js";
import { esc } from "../format.js";

export async function show(view, params) {
  const service = params.get("service") || "";
  const resource = params.get("resource") || "";
  const name = params.get("name") || "";
  const { resources } = await api(`/api/services/${encodeURIComponent(service)}/resources`, { window: windowParam() });
  const info = resources.find((r) => r.resource === resource && (!name || r.name === name)) || resources.find((r) => r.resource === resource) || { requests: 0, errors: 0, error_rate: 0, p50: 0, p95: 0, p99: 0 };
  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/services"))}">Services</a> /
      <a href="${esc(link(`/services/${encodeURIComponent(service)}`))}">${esc(service)}</a> /</div>
    <h1 class="mono">${esc(resource)} ${name ? `<span class="badge">${esc(name)}</span>` : ""}</h1>
    <div class="sub">resource of ${dot(service)}${esc(service)}</div>
    ${tiles(info)}
    <div class="grid2" id="graphs"></div>
    <div class="card"><h2>Traces</h2>
      <form class="filters" id="filters">
        <select name="error"><option value="">All traces</option><option value="true">With errors</option><option value="false">Without errors</option></select>
        <input name="tag" placeholder="tag, e.g. http.status_code:500" value="${esc(params.get("tag") || "")}">
        <button type="submit">Filter</button>
        <span class="muted" id="trace-count"></span>
      </form>
      <div id="traces"></div>
    </div>`;
  const form = document.getElementById("filters");
  form.error.value = params.get("error") || "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams(location.search);
    for (const key of ["error", "tag"]) {
      if (form[key].value) next.set(key, form[key].value); else next.delete(key);
    }
    history.replaceState(null, "", `/resource?${next}`);
    loadTraces();
  });
  async function loadTraces() {
    const query = { service, resource, limit: 100 };
    if (form.error.value) query.error = form.error.value;
    if (form.tag.value.trim()) query.tag = form.tag.value.trim();
    const holder = document.getElementById("traces");
    try {
      const { traces } = await api("/api/traces", query);
      document.getElementById("trace-count").textContent = `${traces.length} trace${traces.length === 1 ? "" : "s"}, newest first`;
      holder.innerHTML = traces.length ? `<table>${TRACE_HEAD}<tbody>${traceRows(traces)}</tbody></table>` : `<div class="empty">No trace matches.</div>`;
    } catch (error) {
      holder.innerHTML = `<div class="empty bad">${esc(error.message)}</div>`;
    }
  }
  await Promise.all([graphs({ service, resource }), loadTraces()]);
}
