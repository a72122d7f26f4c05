// /resource?service=&resource=&name=&query=: a resource's stats, graphs, and its traces,
// filtered by error and searched (docs/apm-api.md's query syntax).

import { api, link, windowParam } from "../api.js";
import { dot, graphs, onSearch, searchForm, searchTraces, tiles } from "../components.js";
import { esc } from "../format.js";

export async function show(view, params) {
  const service = params.get("service") || "";
  const resource = params.get("resource") || "";
  const name = params.get("name") || "";
  const { resources } = await api(`/api/services/${encodeURIComponent(service)}/resources`, { window: windowParam() });
  const info = resources.find((r) => r.resource === resource && (!name || r.name === name)) || resources.find((r) => r.resource === resource) || { requests: 0, errors: 0, error_rate: 0, p50: 0, p95: 0, p99: 0 };
  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/services"))}">Services</a> /
      <a href="${esc(link(`/services/${encodeURIComponent(service)}`))}">${esc(service)}</a> /</div>
    <h1 class="mono">${esc(resource)} ${name ? `<span class="badge">${esc(name)}</span>` : ""}</h1>
    <div class="sub">resource of ${dot(service)}${esc(service)}</div>
    ${tiles(info)}
    <div class="grid2" id="graphs"></div>
    <div class="card"><h2>Traces</h2>
      ${searchForm(params, `<select name="error"><option value="">All traces</option><option value="true">With errors</option><option value="false">Without errors</option></select>`)}
      <div id="traces"></div>
    </div>`;
  const form = document.getElementById("search");
  form.error.value = params.get("error") || "";
  const loadTraces = () => searchTraces({ service, resource, limit: 100, ...(form.error.value ? { error: form.error.value } : {}) });
  onSearch("/resource", loadTraces);
  await Promise.all([graphs({ service, resource }), loadTraces()]);
}
