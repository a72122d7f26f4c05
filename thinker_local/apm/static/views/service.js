// /services/{service}: a service's stats, graphs and resources.

import { api, link, windowParam } from "../api.js";
import { dot, graphs, kindBadge, tiles } from "../components.js";
import { duration, esc } from "../format.js";

export async function show(view, service) {
  const [{ services }, { resources }] = await Promise.all([
    api("/api/services", { window: windowParam() }),
    api(`/api/services/${encodeURIComponent(service)}/resources`, { window: windowParam() }),
  ]);
  const info = services.find((s) => s.service === service) || { service, label: service, kind: "", requests: 0, errors: 0, error_rate: 0, p50: 0, p95: 0, p99: 0 };
  const longest = Math.max(1, ...resources.map((r) => r.total_time));
  const rows = resources.map((r) => {
    const href = link("/resource", { service, resource: r.resource, name: r.name });
    return `<tr class="link" data-href="${esc(href)}">
      <td><a href="${esc(href)}" class="mono">${esc(r.resource)}</a><span class="badge">${esc(r.name)}</span></td>
      <td class="num">${r.requests}</td>
      <td class="num ${r.errors ? "bad" : ""}">${r.errors}</td>
      <td class="num">${duration(r.p50)}</td><td class="num">${duration(r.p95)}</td><td class="num">${duration(r.p99)}</td>
      <td class="num">${duration(r.total_time)}</td>
      <td class="bar-cell"><div class="fill" style="width:${(100 * r.total_time / longest).toFixed(1)}px"></div></td>
    </tr>`;
  }).join("");
  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/services"))}">Services</a> /</div>
    <h1>${dot(service)}${esc(info.label)} ${info.kind ? kindBadge(info) : ""}</h1>
    <div class="sub">${info.label !== service ? `<span class="mono">${esc(service)}</span> · ` : ""}service overview ·
      <a id="service-errors" href="${esc(link("/errors", { service }))}">Error Tracking: its issues →</a></div>
    ${tiles(info)}
    <div class="grid2" id="graphs"></div>
    <div class="card"><h2>Resources</h2>
      ${resources.length ? `<table><thead><tr><th>Resource</th><th class="num">Requests</th><th class="num">Errors</th>
        <th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">Total time</th><th></th></tr></thead>
        <tbody>${rows}</tbody></table>` : `<div class="empty">No resources in this window.</div>`}
    </div>`;
  await graphs({ service });
}
