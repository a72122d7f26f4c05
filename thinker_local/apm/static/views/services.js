// /services: every service in the window, with the graphs of the requests entering the system.

import { api, link, windowParam } from "../api.js";
import { dot, graphs, kindBadge } from "../components.js";
import { duration, esc, percent } from "../format.js";

export async function show(view) {
  const { services } = await api("/api/services", { window: windowParam() });
  const rows = services.map((s) => `
    <tr class="link" data-href="${esc(link(`/services/${encodeURIComponent(s.service)}`))}">
      <td>${dot(s.service)}<a href="${esc(link(`/services/${encodeURIComponent(s.service)}`))}">${esc(s.label)}</a>
        ${s.label !== s.service ? `<span class="muted mono"> ${esc(s.service)}</span>` : ""}</td>
      <td>${kindBadge(s)}</td>
      <td class="num">${s.requests}</td>
      <td class="num ${s.errors ? "bad" : ""}">${s.errors}</td>
      <td class="num ${s.errors ? "bad" : ""}">${percent(s.error_rate)}</td>
      <td class="num">${duration(s.p50)}</td>
      <td class="num">${duration(s.p95)}</td>
      <td class="num">${duration(s.p99)}</td>
    </tr>`).join("");
  view.innerHTML = `
    <h1>Services</h1>
    <div class="sub">Every service that sent traces in the window, and the ones they call. Graphs: requests entering the system.</div>
    <div class="grid2" id="graphs"></div>
    <div class="card">
      ${services.length ? `<table><thead><tr><th>Service</th><th>Type</th><th class="num">Requests</th>
        <th class="num">Errors</th><th class="num">Error rate</th><th class="num">p50</th><th class="num">p95</th>
        <th class="num">p99</th></tr></thead><tbody>${rows}</tbody></table>`
        : `<div class="empty">No traces in this window yet: send a request to one of the stack's APIs (their URLs are in the terminal that runs the stack, and in <code>.thinker/up.json</code>).</div>`}
    </div>`;
  await graphs({});
}
