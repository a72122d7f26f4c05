// Small SVG time-series charts (no library, so the pages work offline): stacked bars for
// requests and errors, lines for latency percentiles, a shared hover tooltip.

const NS = "http://www.w3.org/2000/svg";
const PAD = { left: 52, right: 12, top: 10, bottom: 22 };

// An SVG element with its attributes, appended to `parent` when given (the charts, the map).
export function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// A round axis maximum and its tick step, so labels read 0, 50, 100 rather than 0, 47, 94.
function niceScale(max, ticks) {
  if (!(max > 0)) return { max: 1, step: 1 };
  const rough = max / ticks;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  return { max: Math.ceil(max / step) * step, step };
}

function timeLabel(seconds, span) {
  const d = new Date(seconds * 1000);
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return span > 2 * 86400 ? `${d.getMonth() + 1}/${d.getDate()} ${hm}` : hm;
}

function frame(container, points, yMax, yFormat) {
  container.innerHTML = "";
  const width = container.clientWidth || 600;
  const height = container.clientHeight || 190;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none" }, container);
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const scale = niceScale(yMax, 4);
  const y = (v) => PAD.top + innerH - (v / scale.max) * innerH;
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    el("line", { class: "gridline", x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }, svg);
    el("text", { class: "axis", x: PAD.left - 6, y: y(v) + 3.5, "text-anchor": "end" }, svg)
      .textContent = yFormat(v);
  }
  const n = points.length;
  const slot = innerW / Math.max(1, n);
  const x = (i) => PAD.left + slot * i + slot / 2;
  const span = n ? points[n - 1].time - points[0].time : 0;
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += every) {
    el("text", { class: "axis", x: x(i), y: height - 6, "text-anchor": "middle" }, svg)
      .textContent = timeLabel(points[i].time, span);
  }
  return { svg, x, y, slot, width, height, innerH };
}

function hover(container, f, points, describe) {
  const tip = document.createElement("div");
  tip.className = "tooltip";
  container.appendChild(tip);
  const line = el("line", { class: "hover", y1: PAD.top, y2: f.height - PAD.bottom, visibility: "hidden" }, f.svg);
  container.addEventListener("mousemove", (event) => {
    const box = container.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * f.width;
    const i = Math.max(0, Math.min(points.length - 1, Math.floor((px - PAD.left) / f.slot)));
    if (!points.length) return;
    line.setAttribute("x1", f.x(i));
    line.setAttribute("x2", f.x(i));
    line.setAttribute("visibility", "visible");
    tip.innerHTML = describe(points[i]);
    tip.style.display = "block";
    const left = (f.x(i) / f.width) * box.width;
    tip.style.left = `${Math.min(left + 12, box.width - tip.offsetWidth - 4)}px`;
    tip.style.top = "8px";
  });
  container.addEventListener("mouseleave", () => {
    tip.style.display = "none";
    line.setAttribute("visibility", "hidden");
  });
}

function legend(container, items) {
  const div = document.createElement("div");
  div.className = "legend";
  div.innerHTML = items.map(([label, color]) => `<span><i style="background:${color}"></i>${label}</span>`).join("");
  container.after(div);
}

// Requests as bars, their errors stacked in red at the bottom; ``names`` renames the two
// (``errors: null`` for a count that has no errors, such as cold starts).
export function requests(container, points, names = {}) {
  const bars = names.bars || "Requests";
  const errors = names.errors === undefined ? "Errors" : names.errors;
  const max = Math.max(0, ...points.map((p) => p.requests));
  // Counts are whole: a gridline between two whole numbers (a small maximum) gets no label.
  const f = frame(container, points, max, (v) => (Number.isInteger(v) ? String(v) : ""));
  const w = Math.max(1, f.slot * 0.7);
  points.forEach((p, i) => {
    if (!p.requests) return;
    el("rect", { x: f.x(i) - w / 2, y: f.y(p.requests), width: w, height: f.y(p.errors) - f.y(p.requests), fill: "#8c5fd1", rx: 1 }, f.svg);
    if (p.errors) {
      el("rect", { x: f.x(i) - w / 2, y: f.y(p.errors), width: w, height: f.y(0) - f.y(p.errors), fill: "#e8384f", rx: 1 }, f.svg);
    }
  });
  hover(container, f, points, (p) => `${timeLabel(p.time, 0)}<br>${p.requests} ${bars.toLowerCase()}${errors ? `<br>${p.errors} ${errors.toLowerCase()}` : ""}`);
  legend(container, errors ? [[bars, "#8c5fd1"], [errors, "#e8384f"]] : [[bars, "#8c5fd1"]]);
}

// p50, p95 and p99 as lines; gaps where a bucket has no request.
export function latency(container, points, format) {
  const series = [["p99", "#e8384f"], ["p95", "#f0a400"], ["p50", "#632ca6"]];
  const max = Math.max(0, ...points.map((p) => p.p99));
  const f = frame(container, points, max, format);
  for (const [key, color] of series) {
    let d = "";
    let pen = false;
    points.forEach((p, i) => {
      if (!p.requests) { pen = false; return; }
      d += `${pen ? "L" : "M"}${f.x(i).toFixed(1)},${f.y(p[key]).toFixed(1)}`;
      pen = true;
    });
    el("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round" }, f.svg);
    points.forEach((p, i) => {
      if (p.requests) el("circle", { cx: f.x(i), cy: f.y(p[key]), r: 2.5, fill: color }, f.svg);
    });
  }
  hover(container, f, points, (p) => p.requests
    ? `${timeLabel(p.time, 0)}<br>p99 ${format(p.p99)}<br>p95 ${format(p.p95)}<br>p50 ${format(p.p50)}`
    : `${timeLabel(p.time, 0)}<br>no requests`);
  legend(container, series.slice().reverse());
}
