// The waterfall: one row per span in tree order, bars on the trace's time axis, foldable.

import { colour } from "../colours.js";
import { dot } from "../components.js";
import { duration, esc, percent } from "../format.js";

// Cold-start tracing adds a span per imported module: hidden until a load span is unfolded.
const IMPORT_SPAN = "aws.lambda.import";

export function render(holder, ctx) {
  const { trace, byId } = ctx;
  const folded = new Set();
  let showImports = false;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<span style="left:${f * 100}%">${duration(trace.duration * f)}</span>`).join("");
  holder.innerHTML = `<div class="waterfall">
      <div class="wf-axis"><div style="padding:4px 8px">Span</div><div class="ticks">${ticks}</div></div>
      <div id="rows"></div>
    </div>`;
  const rows = holder.querySelector("#rows");

  function hidden(span) {
    if (span.name === IMPORT_SPAN && !showImports) return true;
    for (let p = byId.get(span.parent_id); p; p = byId.get(p.parent_id)) if (folded.has(p.span_id)) return true;
    return false;
  }
  const isLoad = (s) => s.name === "aws.lambda.load" && s.descendants;

  function draw() {
    rows.innerHTML = trace.spans.filter((s) => !hidden(s)).map((s) => {
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
      return `<div class="wf-row${s.span_id === ctx.selected() ? " selected" : ""}" data-span="${s.span_id}">
        <div class="wf-name" style="padding-left:${8 + s.depth * 14}px" title="${esc(s.service)} · ${esc(s.name)} · ${esc(s.resource)}">
          <span class="toggle" data-toggle="${s.descendants ? s.span_id : ""}">${toggle}</span>${dot(s.service)}<span class="op">${esc(s.name)}</span><span class="res">${esc(s.resource)}</span>
          ${s.descendants && closed ? `<span class="badge">+${s.descendants}${isLoad(s) ? " imports" : ""}</span>` : ""}${s.error ? `<span class="badge error">error</span>` : ""}
        </div>
        <div class="wf-track">
          <div class="wf-bar${s.error ? " err" : ""}" style="left:${left}%;width:${width}%;background:${colour(s.service)}"></div>
          <div class="wf-label${inside ? " inside" : ""}" style="${labelPlace}">${duration(s.duration)} · ${percent(share)}${Object.entries(s.own_tags || {}).map(([k, v]) => ` · ${esc(k)}:${esc(v)}`).join("")}</div>
        </div>
      </div>`;
    }).join("");
  }

  rows.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle && toggle.dataset.toggle) {
      const id = toggle.dataset.toggle;
      if (isLoad(byId.get(id))) showImports = !showImports;
      else if (folded.has(id)) folded.delete(id); else folded.add(id);
      draw();
      return;
    }
    const row = event.target.closest(".wf-row");
    if (row) ctx.select(row.dataset.span);
  });
  draw();
  return { update: draw };
}
