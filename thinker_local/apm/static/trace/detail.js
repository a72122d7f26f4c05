// The side panel of a trace: the selected span's figures, its error with the stack, its tags.

import { link } from "../api.js";
import { dot } from "../components.js";
import { duration, esc, percent } from "../format.js";
import { countOwn } from "./logs.js";

export function drawDetail(holder, trace, s) {
  // The stack is shown in the error box above, not repeated among the tags.
  const tags = Object.entries(s.meta).filter(([k]) => k !== "error.stack").sort(([a], [b]) => a.localeCompare(b));
  const metrics = Object.entries(s.metrics).sort(([a], [b]) => a.localeCompare(b));
  const error = s.error ? `<div class="error-box" id="span-error">
      <div class="type">${esc(s.meta["error.type"] || "error")}</div>
      <div class="message">${esc(s.meta["error.message"] || "")}</div>
      ${s.issue ? `<a id="span-issue" class="small" href="${esc(link(`/errors/${s.issue}`))}">Its issue in Error Tracking →</a>` : ""}
      ${s.meta["error.stack"] ? `<details open><summary>Stack trace</summary><pre>${esc(s.meta["error.stack"])}</pre></details>` : ""}</div>` : "";
  holder.innerHTML = `
    <h2>${esc(s.name)}</h2>
    <div>${dot(s.service)}<b>${esc(s.service)}</b> · <span class="mono">${esc(s.resource)}</span></div>
    <a href="?view=logs&span=${esc(s.span_id)}" data-panel="logs" id="span-logs" class="small">Log lines of this span →</a>
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
  // How many lines are the span's own, once the trace's lines are read.
  countOwn(trace, s.span_id).then((n) => {
    const a = holder.querySelector("#span-logs");
    if (a && a.getAttribute("href").endsWith(s.span_id)) a.textContent = `${n} log line${n === 1 ? "" : "s"} of this span →`;
  }).catch(() => {});
}
