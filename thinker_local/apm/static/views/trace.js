// /traces/{trace_id}: the waterfall of a trace's spans, time per service, and a span's details.

import { api, link } from "../api.js";
import { colour } from "../colours.js";
import { dot, statusCell } from "../components.js";
import { dateTime, duration, esc, percent } from "../format.js";
import * as logs from "../trace/logs.js";

// Cold-start tracing adds a span per imported module: hidden until a load span is unfolded.
const IMPORT_SPAN = "aws.lambda.import";

export async function show(view, traceId) {
  const trace = await api(`/api/traces/${encodeURIComponent(traceId)}`);
  const spans = trace.spans;
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const root = spans[0];
  const entry = spans.find((s) => s.meta["http.status_code"]) || root;
  const services = [...new Set(spans.map((s) => s.service))];
  const folded = new Set();
  let showImports = false;
  let selected = (spans.find((s) => s.error) || root).span_id;

  const shareBar = trace.services.map((s) => `<div style="width:${(s.share * 100).toFixed(2)}%;background:${colour(s.service)}" title="${esc(s.service)} ${percent(s.share)}"></div>`).join("");
  const shareLegend = trace.services.map((s) => `<span>${dot(s.service)}${esc(s.service)} <b>${percent(s.share)}</b> <span class="muted">${duration(s.time)}</span></span>`).join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<span style="left:${f * 100}%">${duration(trace.duration * f)}</span>`).join("");

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
    <div class="tabs" id="trace-tabs">
      <a href="?view=waterfall" data-view="waterfall">Waterfall</a><a href="?view=logs" data-view="logs">Logs</a>
    </div>
    <div class="trace-body">
      <div>
        <div class="waterfall" id="waterfall">
          <div class="wf-axis"><div style="padding:4px 8px">Span</div><div class="ticks">${ticks}</div></div>
          <div id="rows"></div>
        </div>
        <div id="logs-panel"></div>
      </div>
      <div class="card detail" id="detail"></div>
    </div>
    <div class="muted mono" style="margin-top:8px;font-size:12px">trace ${esc(trace.trace_id)}</div>`;

  function hidden(span) {
    if (span.name === IMPORT_SPAN && !showImports) return true;
    for (let p = byId.get(span.parent_id); p; p = byId.get(p.parent_id)) if (folded.has(p.span_id)) return true;
    return false;
  }
  const isLoad = (s) => s.name === "aws.lambda.load" && s.descendants;

  function drawRows() {
    const html = spans.filter((s) => !hidden(s)).map((s) => {
      // Spans are clipped to the trace's extent (a cold start's load span can begin long before).
      const from = Math.max(s.start, trace.start);
      const to = Math.min(s.start + s.duration, trace.start + trace.duration);
      const left = ((from - trace.start) / trace.duration) * 100;
      const width = Math.max(0.15, ((to - from) / trace.duration) * 100);
      const share = s.duration / trace.duration;
      const closed = isLoad(s) ? !showImports : folded.has(s.span_id);
      const toggle = s.descendants ? (closed ? "▸" : "▾") : "";
      // Wide bars carry their label inside; others beside them, on whichever side has room.
      const inside = width > 30;
      const labelPlace = inside ? `right:${Math.max(0.5, 100 - left - width + 0.5)}%`
        : left + width > 65 ? `right:${100 - left + 0.5}%` : `left:${left + width + 0.5}%`;
      return `<div class="wf-row${s.span_id === selected ? " selected" : ""}" data-span="${s.span_id}">
        <div class="wf-name" style="padding-left:${8 + s.depth * 14}px" title="${esc(s.service)} · ${esc(s.name)} · ${esc(s.resource)}">
          <span class="toggle" data-toggle="${s.descendants ? s.span_id : ""}">${toggle}</span>${dot(s.service)}<span class="op">${esc(s.name)}</span><span class="res">${esc(s.resource)}</span>
          ${s.descendants && closed ? `<span class="badge">+${s.descendants}${isLoad(s) ? " imports" : ""}</span>` : ""}${s.error ? `<span class="badge error">error</span>` : ""}
        </div>
        <div class="wf-track">
          <div class="wf-bar${s.error ? " err" : ""}" style="left:${left}%;width:${width}%;background:${colour(s.service)}"></div>
          <div class="wf-label${inside ? " inside" : ""}" style="${labelPlace}">${duration(s.duration)} · ${percent(share)}${s.meta.subject ? ` · subject:${esc(s.meta.subject)}` : ""}</div>
        </div>
      </div>`;
    }).join("");
    document.getElementById("rows").innerHTML = html;
  }

  function drawDetail() {
    const s = byId.get(selected);
    // The stack is shown in the error box above, not repeated among the tags.
    const tags = Object.entries(s.meta).filter(([k]) => k !== "error.stack").sort(([a], [b]) => a.localeCompare(b));
    const metrics = Object.entries(s.metrics).sort(([a], [b]) => a.localeCompare(b));
    const error = s.error ? `<div class="error-box" id="span-error">
        <div class="type">${esc(s.meta["error.type"] || "error")}</div>
        <div class="message">${esc(s.meta["error.message"] || "")}</div>
        ${s.meta["error.stack"] ? `<details open><summary>Stack trace</summary><pre>${esc(s.meta["error.stack"])}</pre></details>` : ""}</div>` : "";
    const detail = document.getElementById("detail");
    detail.innerHTML = `
      <h2>${esc(s.name)}</h2>
      <div>${dot(s.service)}<b>${esc(s.service)}</b> · <span class="mono">${esc(s.resource)}</span></div>
      <a href="?view=logs" data-view="logs" id="span-logs" class="small">Logs of this span</a>
      <table class="kv" style="margin-top:8px"><tbody>
        <tr><td>duration</td><td>${duration(s.duration)} (${percent(s.duration / trace.duration)} of the trace)</td></tr>
        <tr><td>own time</td><td>${duration(s.self_time)}</td></tr>
        <tr><td>starts at</td><td>${s.start < trace.start ? "−" + duration(trace.start - s.start) + " (before the request)" : "+" + duration(s.start - trace.start)}</td></tr>
        <tr><td>span id</td><td>${esc(s.span_id)}</td></tr>
      </tbody></table>
      ${error}
      <div class="section-title">Tags</div>
      <table class="kv" id="span-tags"><tbody>${tags.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</tbody></table>
      ${metrics.length ? `<div class="section-title">Metrics</div><table class="kv"><tbody>${metrics.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</tbody></table>` : ""}`;
    const shown = s.span_id;
    logs.countOwn(trace.trace_id, shown).then((n) => {
      const a = detail.querySelector("#span-logs");
      if (a && selected === shown) a.textContent = `${n} log line${n === 1 ? "" : "s"} of this span →`;
    }).catch(() => {});
  }

  // Which view the panel shows is in the address (?view=logs), so a link opens what was seen.
  let current = new URLSearchParams(location.search).get("view") === "logs" ? "logs" : "waterfall";
  function showView(name) {
    current = name;
    const query = new URLSearchParams(location.search);
    query.set("view", name);
    history.replaceState(null, "", `${location.pathname}?${query}`);
    document.querySelectorAll("#trace-tabs a").forEach((a) => a.classList.toggle("active", a.dataset.view === name));
    document.getElementById("waterfall").hidden = name !== "waterfall";
    const holder = document.getElementById("logs-panel");
    holder.hidden = name !== "logs";
    if (name === "logs") {
      logs.render(holder, { trace, selected, select }).catch((error) => {
        holder.innerHTML = `<div class="card empty bad">${esc(error.message)}</div>`;
      });
    }
  }
  function select(spanId) {
    if (!byId.has(spanId)) return;
    selected = spanId;
    drawRows();
    drawDetail();
    if (current === "logs") showView("logs");
  }
  // The tabs, and the span's link to its lines in the details.
  for (const element of [document.getElementById("trace-tabs"), view.querySelector(".trace-body")]) {
    element.addEventListener("click", (event) => {
      const a = event.target.closest("a[data-view]");
      if (a) { event.preventDefault(); showView(a.dataset.view); }
    });
  }

  document.getElementById("rows").addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle && toggle.dataset.toggle) {
      const id = toggle.dataset.toggle;
      if (isLoad(byId.get(id))) showImports = !showImports;
      else if (folded.has(id)) folded.delete(id); else folded.add(id);
      drawRows();
      return;
    }
    const row = event.target.closest(".wf-row");
    if (row) select(row.dataset.span);
  });
  drawRows();
  drawDetail();
  showView(current);
}
