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

// A function's log lines (GET /api/logs, /api/traces/{id}/logs): time, function, level, message;
// `extra(line)` adds the last cell (the trace link, on the Logs page).
const LEVEL_CLASS = { ERROR: "error", WARNING: "warn", DEBUG: "debug" };

// The runtime's logging prefix ([LEVEL], time, request id, datadog-lambda's ids) is in the other
// columns: the message cell shows what the function said (the whole line is its tooltip).
const LOGGING_PREFIX = /^\[[A-Z]+\]\t[^\t]*\t[^\t]*\t(\[dd\.trace_id=[^\]]*\]\t)?/;

export function logRows(lines, { time = clockTime, marked = () => false, request = () => "", extra = () => "" } = {}) {
  return lines.map((l) => `<tr class="log-line level-${esc(l.level.toLowerCase())}${marked(l) ? " marked" : ""}" data-id="${l.id}" data-span="${esc(l.span_id || l.handler_span_id || "")}">
      <td class="mono muted">${time(l.time)}</td>
      <td class="log-function">${esc(l.function || "–")}</td>
      ${request(l)}
      <td><span class="badge level ${LEVEL_CLASS[l.level] || ""}">${esc(l.level)}</span></td>
      <td class="log-message mono" title="${esc(l.message)}">${esc(l.message.replace(LOGGING_PREFIX, ""))}</td>
      ${extra(l)}
    </tr>`).join("");
}

export const clockTime = (ns) => {
  const d = new Date(ns / 1e6);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
};
