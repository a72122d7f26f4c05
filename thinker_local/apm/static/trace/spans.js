// The span list: the trace's spans grouped by service, operation and resource, with their
// count, total time, own time (outside their children) and errors; sortable by any column.
// The totals row adds up every span of the trace.

import { dot } from "../components.js";
import { duration, esc, percent } from "../format.js";

const COLUMNS = [
  ["service", "Service", false],
  ["name", "Operation", false],
  ["resource", "Resource", false],
  ["count", "Spans", true],
  ["total", "Total time", true],
  ["self", "Self time", true],
  ["errors", "Errors", true],
];

// Cold-start tracing names one span per imported module: those are one group, not hundreds.
const IMPORT_SPAN = "aws.lambda.import";

export function groups(spans) {
  const byKey = new Map();
  for (const s of spans) {
    const resource = s.name === IMPORT_SPAN ? "(each imported module)" : s.resource;
    const key = JSON.stringify([s.service, s.name, resource]);
    if (!byKey.has(key)) byKey.set(key, { key, service: s.service, name: s.name, resource, count: 0, total: 0, self: 0, errors: 0, spans: [] });
    const g = byKey.get(key);
    g.count += 1;
    g.total += s.duration;
    g.self += s.self_time;
    g.errors += s.error ? 1 : 0;
    g.spans.push(s);
  }
  return [...byKey.values()];
}

export function render(holder, ctx) {
  const { trace } = ctx;
  const all = groups(trace.spans);
  let sort = { column: "self", descending: true };
  const totals = all.reduce((t, g) => ({ count: t.count + g.count, total: t.total + g.total, self: t.self + g.self, errors: t.errors + g.errors }), { count: 0, total: 0, self: 0, errors: 0 });

  function draw() {
    const selected = ctx.selected();
    const { column, descending } = sort;
    const sorted = [...all].sort((a, b) => {
      const order = typeof a[column] === "number" ? a[column] - b[column] : String(a[column]).localeCompare(String(b[column]));
      return (descending ? -order : order) || a.key.localeCompare(b.key);
    });
    const head = COLUMNS.map(([id, label, num]) => `<th class="sortable${num ? " num" : ""}${id === column ? " sorted" : ""}" data-sort="${id}">${label}${id === column ? (descending ? " ▾" : " ▴") : ""}</th>`).join("");
    const body = sorted.map((g) => `<tr class="link${g.spans.some((s) => s.span_id === selected) ? " selected" : ""}" data-group="${esc(g.key)}">
        <td data-field="service">${dot(g.service)}${esc(g.service)}</td>
        <td data-field="name" class="mono">${esc(g.name)}</td>
        <td data-field="resource" class="mono res-cell">${esc(g.resource)}</td>
        <td data-field="count" class="num">${g.count}</td>
        <td data-field="total" class="num" data-ns="${g.total}">${duration(g.total)}</td>
        <td data-field="self" class="num" data-ns="${g.self}">${duration(g.self)} <span class="muted">${percent(g.self / (totals.self || 1))}</span></td>
        <td data-field="errors" class="num ${g.errors ? "bad" : ""}">${g.errors}</td>
      </tr>`).join("");
    holder.innerHTML = `<div class="card span-list"><table id="span-list">
        <thead><tr>${head}</tr></thead><tbody>${body}</tbody>
        <tfoot><tr id="span-totals"><td colspan="3">${all.length} groups</td>
          <td data-field="count" class="num">${totals.count}</td>
          <td data-field="total" class="num" data-ns="${totals.total}">${duration(totals.total)}</td>
          <td data-field="self" class="num" data-ns="${totals.self}">${duration(totals.self)}</td>
          <td data-field="errors" class="num ${totals.errors ? "bad" : ""}">${totals.errors}</td></tr></tfoot>
      </table></div>`;
  }

  holder.addEventListener("click", (event) => {
    const th = event.target.closest("th[data-sort]");
    if (th) {
      const column = th.dataset.sort;
      const numeric = COLUMNS.find(([id]) => id === column)[2];
      sort = { column, descending: sort.column === column ? !sort.descending : numeric };
      draw();
      return;
    }
    const row = event.target.closest("tr[data-group]");
    if (!row) return;
    // A group selects its first failing span, else its longest.
    const g = all.find((x) => x.key === row.dataset.group);
    const pick = g.spans.find((s) => s.error) || [...g.spans].sort((a, b) => b.duration - a.duration)[0];
    ctx.select(pick.span_id);
  });
  draw();
  return { update: draw };
}
