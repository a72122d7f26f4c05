// The trace panel's Logs tab: the trace's log lines, both functions', in the order written;
// the selected span's own lines marked (an aws.lambda span's: its invocation's START, END,
// REPORT and printed lines). Clicking a line that names a span selects that span.

import { api } from "../api.js";
import { logRows } from "../components.js";
import { duration } from "../format.js";

// A line is the span's own if it names the span, or, naming none, the span is its invocation's.
export const ownLine = (line, spanId) => (line.span_id || line.handler_span_id) === spanId;

// The trace's lines, fetched once per trace while its panel is open.
let cached = { traceId: null, lines: null };

export function linesOf(traceId) {
  if (cached.traceId !== traceId) {
    cached = { traceId, lines: api(`/api/traces/${encodeURIComponent(traceId)}/logs`).then((body) => body.logs) };
    cached.lines.catch(() => { cached = { traceId: null, lines: null }; });
  }
  return cached.lines;
}

export async function render(holder, { trace, selected, select }) {
  const logs = await linesOf(trace.trace_id);
  if (!logs.length) {
    holder.innerHTML = `<div class="card empty">No log lines for this trace.</div>`;
    return;
  }
  const offset = (ns) => (ns < trace.start ? "−" + duration(trace.start - ns) : "+" + duration(ns - trace.start));
  const own = logs.filter((l) => ownLine(l, selected)).length;
  holder.innerHTML = `
    <div class="card logs-card">
      <div class="muted small logs-summary">${logs.length} lines · ${own} of the selected span's marked</div>
      <table class="logs" id="trace-logs"><tbody>${logRows(logs, { time: offset, marked: (l) => ownLine(l, selected) })}</tbody></table>
    </div>`;
  holder.querySelector("#trace-logs").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-span]");
    if (row && row.dataset.span && select) select(row.dataset.span);
  });
}

// How many of the trace's lines are a span's own, for a link to them from the span's details.
export async function countOwn(traceId, spanId) {
  return (await linesOf(traceId)).filter((l) => ownLine(l, spanId)).length;
}

export const panel = { id: "logs", label: "Logs", render };
