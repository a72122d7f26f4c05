// /traces/{trace_id}?view=&span=: a trace's header, time per service, its panel's views
// (trace/panels.js: flame graph, waterfall, span list...) and the selected span's details.
// The view and the span are kept in the address, so a link opens what was on the screen.

import { api, link } from "../api.js";
import { colour } from "../colours.js";
import { dot, statusCell } from "../components.js";
import { dateTime, duration, esc, percent } from "../format.js";
import { drawDetail } from "../trace/detail.js";
import { PANELS } from "../trace/panels.js";

export async function show(view, traceId, params) {
  const trace = await api(`/api/traces/${encodeURIComponent(traceId)}`);
  const spans = trace.spans;
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const root = spans[0];
  const entry = spans.find((s) => s.meta["http.status_code"]) || root;
  const services = [...new Set(spans.map((s) => s.service))];
  const wanted = params?.get("span");
  let selected = byId.has(wanted) ? wanted : (spans.find((s) => s.error) || root).span_id;
  let panel = PANELS.find((p) => p.id === params?.get("view")) || PANELS[0];
  let drawn = null;

  const shareBar = trace.services.map((s) => `<div style="width:${(s.share * 100).toFixed(2)}%;background:${colour(s.service)}" title="${esc(s.service)} ${percent(s.share)}"></div>`).join("");
  const shareLegend = trace.services.map((s) => `<span>${dot(s.service)}${esc(s.service)} <b>${percent(s.share)}</b> <span class="muted">${duration(s.time)}</span></span>`).join("");
  const tabs = PANELS.map((p) => `<button type="button" role="tab" data-panel="${p.id}">${esc(p.label)}</button>`).join("");

  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/services"))}">Services</a> /
      <a href="${esc(link(`/services/${encodeURIComponent(entry.service)}`))}">${esc(entry.service)}</a> / trace</div>
    <h1><span class="mono">${esc(root.name)}</span> <span class="muted mono" style="font-weight:400">${esc(root.resource)}</span></h1>
    <div class="card">
      <div class="trace-head">
        <div><div class="k">Date</div><div class="v">${dateTime(trace.start)}</div></div>
        <div><div class="k">Status</div><div class="v">${statusCell(entry.meta["http.status_code"])}</div></div>
        <div><div class="k">Duration</div><div class="v">${duration(trace.duration)}</div></div>
        <div><div class="k">Spans</div><div class="v">${spans.length}</div></div>
        <div><div class="k">Errors</div><div class="v ${spans.some((s) => s.error) ? "bad" : ""}">${spans.filter((s) => s.error).length}</div></div>
        <div><div class="k">Method</div><div class="v mono">${esc(entry.meta["http.method"] || "–")}</div></div>
        <div style="flex:1;min-width:260px"><div class="k">URL</div><div class="v mono" style="font-size:13px;word-break:break-all">${esc(entry.meta["http.url"] || "–")}</div></div>
      </div>
      <div class="k muted" style="font-size:11px;text-transform:uppercase;letter-spacing:.5px">Time spent per service · ${services.length} services</div>
      <div class="share">${shareBar}</div>
      <div class="share-legend" id="service-share">${shareLegend}</div>
    </div>
    <div class="trace-body">
      <div><div class="tabs" role="tablist" id="trace-tabs">${tabs}</div><div id="trace-panel"></div></div>
      <div class="card detail" id="detail"></div>
    </div>
    <div class="muted mono" style="margin-top:8px;font-size:12px">trace ${esc(trace.trace_id)}</div>`;

  // The address follows the view and the selection without a new history entry or a reload.
  function remember() {
    const query = new URLSearchParams(location.search);
    query.set("view", panel.id);
    query.set("span", selected);
    history.replaceState(null, "", `${location.pathname}?${query}`);
  }

  const ctx = {
    trace,
    byId,
    selected: () => selected,
    select(id) {
      if (!byId.has(id)) return;
      selected = id;
      remember();
      drawDetail(document.getElementById("detail"), trace, byId.get(selected));
      if (drawn && drawn.update) drawn.update(); else open(panel);
    },
  };

  function open(next) {
    panel = next;
    document.querySelectorAll("#trace-tabs [data-panel]").forEach((b) => {
      b.classList.toggle("active", b.dataset.panel === panel.id);
      b.setAttribute("aria-selected", String(b.dataset.panel === panel.id));
    });
    // A fresh holder each time: a view's listeners never outlive it.
    const holder = document.createElement("div");
    holder.dataset.view = panel.id;
    document.getElementById("trace-panel").replaceChildren(holder);
    drawn = panel.render(holder, ctx) || null;
    remember();
  }

  // The tabs, and the links to a view from the span's details (its log lines).
  view.querySelector(".trace-body").addEventListener("click", (event) => {
    const button = event.target.closest("[data-panel]");
    if (!button || !PANELS.some((p) => p.id === button.dataset.panel)) return;
    event.preventDefault();
    open(PANELS.find((p) => p.id === button.dataset.panel));
  });
  open(panel);
  drawDetail(document.getElementById("detail"), trace, byId.get(selected));
}
