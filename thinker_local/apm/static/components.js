// Pieces several views share: status and kind badges, stat tiles, graphs, trace rows.

import { api, link, windowParam } from "./api.js";
import * as Charts from "./charts.js";
import { colour } from "./colours.js";
import { dateTime, duration, esc, percent } from "./format.js";

export function statusCell(status) {
  if (!status) return `<span class="muted">–</span>`;
  return `<span class="status s${String(status)[0]}">${esc(status)}</span>`;
}

export function kindBadge(s) {
  return `<span class="badge${s.inferred ? " inferred" : ""}">${esc(s.kind)}${s.inferred ? " · inferred" : ""}</span>`;
}

export const dot = (service) => `<span class="dot" style="background:${colour(service)}"></span>`;

export function tiles(stats) {
  const cells = [
    ["Requests", stats.requests],
    ["Errors", stats.errors, stats.errors > 0],
    ["Error rate", percent(stats.error_rate), stats.error_rate > 0],
    ["p50 latency", duration(stats.p50)],
    ["p95 latency", duration(stats.p95)],
    ["p99 latency", duration(stats.p99)],
  ];
  return `<div class="tiles">${cells.map(([k, v, bad]) => `<div class="tile"><div class="k">${k}</div><div class="v${bad ? " bad" : ""}">${v}</div></div>`).join("")}</div>`;
}

// Fills the view's #graphs holder with the requests and latency charts of the spans chosen.
export async function graphs(params) {
  const holder = document.getElementById("graphs");
  const series = await api("/api/timeseries", { ...params, window: windowParam(), buckets: 40 });
  holder.innerHTML = `
    <div class="card"><h2>Requests and errors</h2><div class="chart" id="chart-requests"></div></div>
    <div class="card"><h2>Latency</h2><div class="chart" id="chart-latency"></div></div>`;
  Charts.requests(document.getElementById("chart-requests"), series.points);
  Charts.latency(document.getElementById("chart-latency"), series.points, duration);
}

export const TRACE_HEAD = `<thead><tr><th>Date</th><th>Status</th><th>Service</th><th>Resource</th>
  <th class="num">Duration</th><th class="num">Spans</th><th>Error</th><th>Trace</th></tr></thead>`;

export function traceRows(traces) {
  return traces.map((t) => {
    const href = link(`/traces/${t.trace_id}`);
    return `<tr class="link" data-href="${esc(href)}" data-trace="${t.trace_id}">
      <td>${dateTime(t.start)}</td>
      <td>${statusCell(t.status)}</td>
      <td>${dot(t.service)}${esc(t.service)}</td>
      <td class="mono">${esc(t.resource)}</td>
      <td class="num">${duration(t.duration)}</td>
      <td class="num">${t.span_count}</td>
      <td>${t.error ? `<span class="badge error">${t.errors} error${t.errors > 1 ? "s" : ""}</span>` : `<span class="badge ok">OK</span>`}</td>
      <td class="mono muted"><a href="${esc(href)}">${t.trace_id.slice(16)}</a></td>
    </tr>`;
  }).join("");
}

// The trace search box (Datadog's query syntax, docs/apm-api.md), filled from ?query=.
export function searchForm(params, extra = "") {
  return `<form class="filters search" id="search">
      <input name="query" id="query" autocomplete="off" spellcheck="false" value="${esc(params.get("query") || "")}"
        placeholder="(service:orders OR service:billing) status:error  ·  @duration:>500ms  ·  timeout -@http.url:*health*">
      ${extra}<button type="submit">Search</button>
      <span class="muted" id="trace-count"></span>
    </form>
    <div class="query-error" id="query-error" hidden></div>`;
}

// Lists the traces a search finds into #traces; a malformed query's error, with a caret under
// the character the API points at, goes to #query-error.
export async function searchTraces(params) {
  const holder = document.getElementById("traces");
  const problem = document.getElementById("query-error");
  const text = document.getElementById("query").value;
  try {
    const { traces } = await api("/api/traces", { ...params, ...(text.trim() ? { query: text } : {}) });
    problem.hidden = true;
    document.getElementById("trace-count").textContent = `${traces.length} trace${traces.length === 1 ? "" : "s"}, newest first`;
    holder.innerHTML = traces.length ? `<table>${TRACE_HEAD}<tbody>${traceRows(traces)}</tbody></table>` : `<div class="empty">No trace matches.</div>`;
  } catch (error) {
    document.getElementById("trace-count").textContent = "";
    holder.innerHTML = "";
    if (error.detail && Number.isInteger(error.detail.position)) {
      const at = Math.min(error.detail.position, text.length);
      problem.innerHTML = `<pre>${esc(text)}\n${" ".repeat(at)}^</pre><div class="message" id="query-message">${esc(error.detail.error)} (character ${at + 1})</div>`;
      problem.hidden = false;
    } else {
      holder.innerHTML = `<div class="empty bad">${esc(error.message)}</div>`;
    }
  }
}

// Submitting the search form keeps the query (and the form's other fields) in the address.
export function onSearch(path, run) {
  const form = document.getElementById("search");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams(location.search);
    for (const field of form.querySelectorAll("input[name], select[name]")) {
      if (field.value.trim()) next.set(field.name, field.value); else next.delete(field.name);
    }
    history.replaceState(null, "", `${path}?${next}`);
    run();
  });
}

// A function's log lines (GET /api/logs, /api/traces/{id}/logs): time, function, level, what the
// function said (the whole line as printed is its tooltip); `request(line)` and `extra(line)` add
// cells (the request id and the trace link, on the Logs page).
const LEVEL_CLASS = { ERROR: "error", WARNING: "warn", DEBUG: "debug" };

export function logRows(lines, { time = clockTime, marked = () => false, request = () => "", extra = () => "" } = {}) {
  return lines.map((l) => `<tr class="log-line level-${esc(l.level.toLowerCase())}${marked(l) ? " marked" : ""}" data-id="${l.id}" data-span="${esc(l.span_id || l.handler_span_id || "")}">
      <td class="mono muted">${time(l.time)}</td>
      <td class="log-function">${esc(l.function || "–")}</td>
      ${request(l)}
      <td><span class="badge level ${LEVEL_CLASS[l.level] || ""}">${esc(l.level)}</span></td>
      <td class="log-message mono" title="${esc(l.message)}">${esc(l.text)}</td>
      ${extra(l)}
    </tr>`).join("");
}

export const clockTime = (ns) => {
  const d = new Date(ns / 1e6);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
};
