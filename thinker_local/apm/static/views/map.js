// /map: the services as nodes and the calls between them as edges, placed by the server
// (docs/apm-api.md); /map/edge?caller=&callee=: the traces in which one service calls the other.

import { api, link, windowParam } from "../api.js";
import { el } from "../charts.js";
import { dot, onSearch, searchForm, searchTraces } from "../components.js";
import { esc } from "../format.js";

// A smooth path from the caller's side, through the label, to the callee's side; a call that
// goes back (a cycle) leaves from the caller's bottom and arrives at the callee's bottom.
function edgePath(edge, from, to) {
  const label = edge.label_box;
  const ly = label.y + label.height / 2;
  if (edge.back || to.x <= from.x) {
    const sx = from.x + from.width / 2;
    const tx = to.x + to.width / 2;
    const sy = from.y + from.height;
    const ty = to.y + to.height;
    return `M${sx},${sy} C${sx},${ly} ${label.x + label.width},${ly} ${label.x + label.width},${ly}`
      + ` M${label.x},${ly} C${tx},${ly} ${tx},${ly} ${tx},${ty}`;
  }
  const sx = from.x + from.width;
  const sy = from.y + from.height / 2;
  const tx = to.x;
  const ty = to.y + to.height / 2;
  const lx = label.x;
  const rx = label.x + label.width;
  return `M${sx},${sy} C${(sx + lx) / 2},${sy} ${(sx + lx) / 2},${ly} ${lx},${ly}`
    + ` M${rx},${ly} C${(rx + tx) / 2},${ly} ${(rx + tx) / 2},${ty} ${tx},${ty}`;
}

export function draw(holder, map, { onNode, onEdge }) {
  holder.innerHTML = "";
  // Scaled down to the card's width if wider: the whole map at a glance, its proportions kept.
  const svg = el("svg", { class: "service-map", viewBox: `0 0 ${map.width} ${map.height}`, style: `max-width:${map.width}px` }, holder);
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }, marker);
  const boxes = new Map(map.nodes.map((n) => [n.service, n.box]));
  for (const edge of map.edges) {
    const g = el("g", { class: `edge${edge.errors ? " has-errors" : ""}`, "data-caller": edge.caller, "data-callee": edge.callee, tabindex: 0 }, svg);
    el("path", { d: edgePath(edge, boxes.get(edge.caller), boxes.get(edge.callee)), class: "edge-line", "marker-end": "url(#arrow)" }, g);
    const box = edge.label_box;
    el("rect", { x: box.x, y: box.y, width: box.width, height: box.height, rx: 4, class: "edge-label-box" }, g);
    edge.lines.forEach((line, i) => {
      el("text", { x: box.x + box.width / 2, y: box.y + 15 + i * 14, "text-anchor": "middle", class: "edge-label" }, g).textContent = line;
    });
    el("title", {}, g).textContent = `${edge.caller} → ${edge.callee}: ${edge.requests} calls; click for their traces`;
    g.addEventListener("click", () => onEdge(edge));
  }
  for (const node of map.nodes) {
    const box = node.box;
    const g = el("g", { class: `node ${node.health}`, "data-service": node.service, tabindex: 0 }, svg);
    el("rect", { x: box.x, y: box.y, width: box.width, height: box.height, rx: 8, class: "node-box" }, g);
    el("text", { x: box.x + box.width / 2, y: box.y + 20, "text-anchor": "middle", class: "node-name" }, g).textContent = node.lines[0];
    el("text", { x: box.x + box.width / 2, y: box.y + 37, "text-anchor": "middle", class: "node-detail" }, g).textContent = node.lines[1];
    el("title", {}, g).textContent = `${node.service}: ${node.requests} requests; click for its page`;
    g.addEventListener("click", () => onNode(node));
  }
  return svg;
}

export async function show(view, navigate) {
  const map = await api("/api/service-map", { window: windowParam() });
  view.innerHTML = `
    <h1>Service map</h1>
    <div class="sub">Who calls whom in the window: requests per second, error rate and p95 of each call. Click a service for its page, a call for its traces.
      <span class="legend-inline"><i class="ok"></i>no errors <i class="warn"></i>some errors <i class="bad"></i>5% errors or more</span></div>
    <div class="card map-card" id="map">${map.nodes.length ? "" : `<div class="empty">No traces in this window yet.</div>`}</div>`;
  if (!map.nodes.length) return;
  draw(document.getElementById("map"), map, {
    onNode: (node) => navigate(link(`/services/${encodeURIComponent(node.service)}`)),
    onEdge: (edge) => navigate(link("/map/edge", { caller: edge.caller, callee: edge.callee })),
  });
}

export async function showEdge(view, params) {
  const caller = params.get("caller") || "";
  const callee = params.get("callee") || "";
  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/map"))}">Service map</a> /</div>
    <h1>${dot(caller)}${esc(caller)} → ${dot(callee)}${esc(callee)}</h1>
    <div class="sub">Traces in which ${esc(caller)} calls ${esc(callee)}, newest first.</div>
    <div class="card" id="edge-traces">${searchForm(params)}<div id="traces"></div></div>`;
  const loadTraces = () => searchTraces({ caller, callee, limit: 100 });
  onSearch("/map/edge", loadTraces);
  await loadTraces();
}
