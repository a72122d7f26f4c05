// The trace panel's Logs view: the trace's log lines, both functions', in the order written;
// the selected span's own lines marked (an aws.lambda span's: its invocation's START, END,
// REPORT and printed lines). Clicking a line that names a span selects that span.

import { api } from "../api.js";
import { logRows } from "../components.js";
import { duration, esc } from "../format.js";

// A line is the span's own if it names the span, or, naming none, the span is its invocation's.
export const ownLine = (line, spanId) => (line.span_id || line.handler_span_id) === spanId;

// The trace's lines, read once each time its page opens (the trace document is new each time).
let cached = { trace: null, lines: null };

function linesOf(trace) {
  if (cached.trace !== trace) {
    cached = { trace, lines: api(`/api/traces/${encodeURIComponent(trace.trace_id)}/logs`).then((body) => body.logs) };
    cached.lines.catch(() => { cached = { trace: null, lines: null }; });
  }
  return cached.lines;
}

// A panel of trace/panels.js: draws once, then only moves the marks as the selection changes.
export function render(holder, ctx) {
  const { trace } = ctx;
  let lines = null;
  const offset = (ns) => (ns < trace.start ? "−" + duration(trace.start - ns) : "+" + duration(ns - trace.start));
  function mark() {
    if (!lines) return;
    const selected = ctx.selected();
    const own = new Set(lines.filter((l) => ownLine(l, selected)).map((l) => String(l.id)));
    holder.querySelectorAll("#trace-logs tr").forEach((tr) => tr.classList.toggle("marked", own.has(tr.dataset.id)));
    holder.querySelector(".logs-summary").textContent = `${lines.length} lines · ${own.size} of the selected span's marked`;
  }
  holder.innerHTML = `<div class="card empty">Reading the log lines…</div>`;
  linesOf(trace).then((found) => {
    lines = found;
    if (!lines.length) {
      holder.innerHTML = `<div class="card empty">No log lines for this trace.</div>`;
      return;
    }
    holder.innerHTML = `
      <div class="card logs-card">
        <div class="muted small logs-summary"></div>
        <table class="logs" id="trace-logs"><tbody>${logRows(lines, { time: offset })}</tbody></table>
      </div>`;
    holder.querySelector("#trace-logs").addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-span]");
      if (row && row.dataset.span) ctx.select(row.dataset.span);
    });
    mark();
  }).catch((error) => {
    holder.innerHTML = `<div class="card empty bad">${esc(error.message)}</div>`;
  });
  return { update: mark };
}

// How many of the trace's lines are a span's own, for a link to them from the span's details.
export async function countOwn(trace, spanId) {
  return (await linesOf(trace)).filter((l) => ownLine(l, spanId)).length;
}

