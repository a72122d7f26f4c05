// The flame graph: spans stacked by depth on the trace's time axis, coloured by service.
//
// A span sits one row below its parent; spans of one row that run at the same time (concurrent
// children of one span) take the next free row, so no bar hides another. Click selects,
// double-click (or "Zoom to span") zooms the axis into a span, "Reset zoom" goes back.

import { colour } from "../colours.js";
import { duration, esc } from "../format.js";

const ROW = 24;
// A bar narrower than this many pixels carries no label.
const LABEL_MIN_PX = 48;

// Each span's row: below its parent, and down past any span of that row it overlaps.
function rows(spans, byId) {
  const row = new Map();
  const taken = [];
  for (const s of spans) {
    const parent = byId.get(s.parent_id);
    let r = parent ? row.get(parent.span_id) + 1 : 0;
    const end = s.start + s.duration;
    while ((taken[r] || []).some(([a, b]) => s.start < b && a < end)) r += 1;
    (taken[r] = taken[r] || []).push([s.start, Math.max(end, s.start + 1)]);
    row.set(s.span_id, r);
  }
  return row;
}

// A time on the axis, from the request's start (negative: a cold start before it).
const offset = (ns, start) => (ns < start ? `−${duration(start - ns)}` : `+${duration(ns - start)}`);

export function render(holder, ctx) {
  const { trace, byId } = ctx;
  const placed = rows(trace.spans, byId);
  const depth = Math.max(0, ...placed.values()) + 1;
  // The axis holds every span: a cold start's load and import spans can begin well before the
  // request; "Request only" zooms to the request itself (the trace's duration).
  const whole = trace.spans.reduce(([a, b], s) => [Math.min(a, s.start), Math.max(b, s.start + s.duration)], [Infinity, -Infinity]);
  const request = [trace.start, trace.start + Math.max(1, trace.duration)];
  if (whole[1] <= whole[0]) whole[1] = whole[0] + 1;
  const coldStart = whole[0] < request[0] || whole[1] > request[1];
  let view = whole;

  holder.innerHTML = `<div class="flame" id="flame">
      <div class="flame-tools">
        <span class="muted" id="flame-window"></span>
        ${coldStart ? `<button type="button" id="flame-request">Request only</button>` : ""}
        <button type="button" id="flame-zoom">Zoom to span</button>
        <button type="button" id="flame-reset">Reset zoom</button>
      </div>
      <div class="flame-axis" id="flame-axis"></div>
      <div class="flame-rows" id="flame-rows" style="height:${depth * ROW}px"></div>
      <div class="tooltip" id="flame-tip"></div>
    </div>`;
  const area = holder.querySelector("#flame-rows");
  const tip = holder.querySelector("#flame-tip");

  function draw() {
    const [from, to] = view;
    const length = to - from;
    const width = area.clientWidth || 1;
    const zoomed = from !== whole[0] || to !== whole[1];
    holder.querySelector("#flame-window").textContent = zoomed
      ? `${duration(length)} shown, from ${offset(from, trace.start)}`
      : `${trace.spans.length} spans · ${duration(length)}${coldStart ? " with the cold start" : ""} · double-click a span to zoom`;
    holder.querySelector("#flame-reset").disabled = !zoomed;
    holder.querySelector("#flame-axis").innerHTML = [0, 0.25, 0.5, 0.75, 1]
      .map((f) => `<span style="left:${f * 100}%">${offset(from + length * f, trace.start)}</span>`).join("");
    // Zoomed in, the spans outside the axis are left out, and the others clipped to it.
    const shown = zoomed ? trace.spans.filter((s) => s.start + s.duration >= from && s.start <= to) : trace.spans;
    area.innerHTML = shown.map((s) => {
      const left = (Math.max(s.start, from) - from) / length;
      const right = (Math.min(s.start + s.duration, to) - from) / length;
      const px = (right - left) * width;
      const label = px >= LABEL_MIN_PX ? `<span class="fl-op">${esc(s.name)}</span> ${esc(s.resource)}` : "";
      const classes = ["fl-span", s.error ? "err" : "", s.span_id === ctx.selected() ? "selected" : ""].join(" ").trim();
      return `<div class="${classes}" data-span="${s.span_id}" data-error="${s.error ? 1 : 0}"
        style="left:${left * 100}%;width:max(2px, ${(right - left) * 100}%);top:${placed.get(s.span_id) * ROW}px;background:${colour(s.service)}">${label}</div>`;
    }).join("");
  }

  function zoomTo(span) {
    view = [span.start, span.start + Math.max(1, span.duration)];
    draw();
  }

  area.addEventListener("click", (event) => {
    const bar = event.target.closest(".fl-span");
    if (bar) ctx.select(bar.dataset.span);
  });
  area.addEventListener("dblclick", (event) => {
    const bar = event.target.closest(".fl-span");
    if (bar) zoomTo(byId.get(bar.dataset.span));
  });
  area.addEventListener("mousemove", (event) => {
    const bar = event.target.closest(".fl-span");
    if (!bar) { tip.style.display = "none"; return; }
    const s = byId.get(bar.dataset.span);
    tip.innerHTML = `<b>${esc(s.name)}</b> · ${esc(s.service)}<br><span class="mono">${esc(s.resource)}</span><br>${duration(s.duration)}${s.error ? ` · <b>error</b> ${esc(s.meta["error.type"] || "")}` : ""}`;
    const box = holder.querySelector("#flame").getBoundingClientRect();
    tip.style.display = "block";
    tip.style.left = `${Math.min(event.clientX - box.left + 12, box.width - tip.offsetWidth - 4)}px`;
    tip.style.top = `${event.clientY - box.top + 14}px`;
  });
  area.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  holder.querySelector("#flame-zoom").addEventListener("click", () => zoomTo(byId.get(ctx.selected())));
  holder.querySelector("#flame-request")?.addEventListener("click", () => { view = request; draw(); });
  holder.querySelector("#flame-reset").addEventListener("click", () => { view = whole; draw(); });
  draw();
  // Labels depend on the bars' widths in pixels: draw again when the graph's width changes.
  let drawnWidth = area.clientWidth;
  new ResizeObserver(() => {
    if (area.clientWidth !== drawnWidth) { drawnWidth = area.clientWidth; draw(); }
  }).observe(area);
  // A selection only moves the highlight: the bars stay, so a double-click meets the same bar.
  return {
    update() {
      for (const bar of area.querySelectorAll(".fl-span")) bar.classList.toggle("selected", bar.dataset.span === ctx.selected());
    },
  };
}
