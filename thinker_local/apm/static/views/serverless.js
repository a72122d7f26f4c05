// /serverless: each function of the template from its REPORT lines, with what it costs on AWS;
// /serverless/{function}: one function's graphs and its invocations, each linked to its trace.

import { api, link, windowParam } from "../api.js";
import * as Charts from "../charts.js";
import { dot } from "../components.js";
import { dateTime, esc, percent } from "../format.js";

// REPORT durations are milliseconds.
export function ms(value) {
  if (value == null) return "–";
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

// Dollars with the digits a tiny amount needs: $0.000012, $0.35.
export function usd(value) {
  if (!value) return "$0";
  if (value >= 1) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(2)}`;
}

function memory(f) {
  if (f.max_memory_used_mb == null) return `<span class="muted">– / ${f.memory_mb} MB</span>`;
  const share = f.max_memory_used_mb / f.memory_mb;
  return `<span class="mem"><span class="mem-bar"><i style="width:${Math.min(100, share * 100).toFixed(1)}%"></i></span>
    ${f.max_memory_used_mb} / ${f.memory_mb} MB</span>`;
}

function pricesNote(prices) {
  const gb = Object.entries(prices.lambda_gb_second).map(([arch, p]) => `${arch} $${p} per GB-s`).join(", ");
  const gateway = Object.entries(prices.api_gateway_request).map(([kind, p]) => `${kind} API $${(p * 1e6).toFixed(2)} per million`).join(", ");
  return `AWS list prices, ${esc(prices.region)}, ${esc(prices.date)}: Lambda $${(prices.lambda_request * 1e6).toFixed(2)} per million requests, ${esc(gb)}; API Gateway ${esc(gateway)}. No free tier.`;
}

export async function show(view) {
  const { functions, prices } = await api("/api/serverless", { window: windowParam() });
  const rows = functions.map((f) => {
    const href = link(`/serverless/${encodeURIComponent(f.name)}`);
    return `<tr class="link" data-href="${esc(href)}" data-function="${esc(f.name)}">
      <td>${dot(f.service)}<a href="${esc(href)}">${esc(f.name)}</a>
        <div class="muted small">${esc(f.service)} · ${esc(f.runtime)} · ${esc(f.architecture)}${f.api ? ` · ${esc(f.api)} API` : ""}</div></td>
      <td class="num" data-field="invocations">${f.invocations}</td>
      <td class="num ${f.errors ? "bad" : ""}" data-field="errors">${f.errors}</td>
      <td class="num ${f.timeouts ? "bad" : ""}" data-field="timeouts">${f.timeouts}</td>
      <td class="num" data-field="cold_starts">${f.cold_starts} <span class="muted">(${percent(f.cold_start_share)})</span></td>
      <td class="num" data-field="init">${f.cold_starts ? `${ms(f.init_p50)} / ${ms(f.init_p95)}` : "–"}</td>
      <td class="num" data-field="duration">${f.invocations ? `${ms(f.p50)} / ${ms(f.p95)} / ${ms(f.p99)}` : "–"}</td>
      <td data-field="memory">${memory(f)}</td>
      <td class="num" data-field="gb_s">${f.billed_gb_s.toFixed(4)}</td>
      <td class="num" data-field="cost" data-usd="${f.cost.total}">${usd(f.cost.total)}</td>
      <td class="num" data-field="per_million" data-usd="${f.cost.per_million}">${f.invocations ? usd(f.cost.per_million) : "–"}</td>
    </tr>`;
  }).join("");
  const total = functions.reduce((sum, f) => sum + f.cost.total, 0);
  view.innerHTML = `
    <h1>Serverless</h1>
    <div class="sub">Each function of the template, from the REPORT line Lambda writes after every invocation. Estimated cost for the window: <b id="cost-total">${usd(total)}</b></div>
    <div class="card">
      <table id="functions"><thead><tr><th>Function</th><th class="num">Invocations</th><th class="num">Errors</th>
        <th class="num">Timeouts</th><th class="num">Cold starts</th><th class="num">Init p50 / p95</th>
        <th class="num">Duration p50 / p95 / p99</th><th>Max memory used</th><th class="num">Billed GB-s</th>
        <th class="num">Cost</th><th class="num">Per 1M requests</th></tr></thead><tbody>${rows}</tbody></table>
      <div class="muted small prices" id="prices">${pricesNote(prices)}</div>
    </div>`;
}

const INVOCATION_HEAD = `<thead><tr><th>Request id</th><th>Start</th><th class="num">Duration</th>
  <th class="num">Billed</th><th class="num">Memory</th><th>Start type</th><th>Status</th><th>Logs</th><th>Trace</th></tr></thead>`;

function invocationRows(invocations) {
  return invocations.map((i) => {
    const trace = i.trace_id ? link(`/traces/${i.trace_id}`) : null;
    const status = i.status === "success" && !i.error ? `<span class="badge ok">OK</span>`
      : `<span class="badge error">${esc(i.status === "success" ? "error" : i.status)}${i.error_type ? ` · ${esc(i.error_type)}` : ""}</span>`;
    return `<tr${trace ? ` class="link" data-href="${esc(trace)}"` : ""} data-request="${esc(i.request_id)}">
      <td class="mono">${esc(i.request_id)}</td>
      <td>${dateTime(i.start)}</td>
      <td class="num">${ms(i.duration_ms)}</td>
      <td class="num">${i.billed_ms} ms</td>
      <td class="num">${i.max_memory_used_mb ?? "–"} / ${i.memory_size_mb} MB</td>
      <td>${i.cold ? `<span class="badge cold">cold · init ${ms(i.init_ms)}</span>` : `<span class="badge">warm</span>`}</td>
      <td>${status}</td>
      <td><a href="${esc(link("/logs", { request_id: i.request_id }))}" class="invocation-logs">logs</a></td>
      <td class="mono">${trace ? `<a href="${esc(trace)}">${i.trace_id.slice(16)}</a>` : `<span class="muted">–</span>`}</td>
    </tr>`;
  }).join("");
}

function tiles(f) {
  const cells = [
    ["Invocations", f.invocations],
    ["Errors", f.errors, f.errors > 0],
    ["Cold starts", `${f.cold_starts} (${percent(f.cold_start_share)})`],
    ["Duration p95", ms(f.p95)],
    ["Max memory", f.max_memory_used_mb == null ? "–" : `${f.max_memory_used_mb} MB`],
    ["Cost", usd(f.cost.total)],
  ];
  return `<div class="tiles">${cells.map(([k, v, bad]) => `<div class="tile"><div class="k">${k}</div><div class="v${bad ? " bad" : ""}">${v}</div></div>`).join("")}</div>`;
}

export async function showFunction(view, name) {
  const window = windowParam();
  const [{ functions }, series, { invocations }] = await Promise.all([
    api("/api/serverless", { window }),
    api(`/api/serverless/${encodeURIComponent(name)}/timeseries`, { window, buckets: 40 }),
    api(`/api/serverless/${encodeURIComponent(name)}/invocations`, { window, limit: 200 }),
  ]);
  const f = functions.find((x) => x.name === name);
  if (!f) throw new Error(`no function ${name} in the template`);
  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/serverless"))}">Serverless</a> /</div>
    <h1>${dot(f.service)}${esc(f.name)} <span class="badge">Lambda</span></h1>
    <div class="sub">${esc(f.service)} · ${esc(f.runtime)} · ${esc(f.architecture)} · ${f.memory_mb} MB · timeout ${f.timeout_s} s${f.api ? ` · behind a ${esc(f.api)} API` : ""}
      · <a href="${esc(link(`/services/${encodeURIComponent(f.service)}`))}">service page</a></div>
    ${tiles(f)}
    <div class="grid3">
      <div class="card"><h2>Invocations and errors</h2><div class="chart" id="chart-invocations"></div></div>
      <div class="card"><h2>Duration</h2><div class="chart" id="chart-duration"></div></div>
      <div class="card"><h2>Cold starts</h2><div class="chart" id="chart-cold-starts"></div></div>
    </div>
    <div class="card"><h2>Invocations</h2><span class="muted" id="invocation-count">${invocations.length} invocation${invocations.length === 1 ? "" : "s"}, newest first</span>
      ${invocations.length ? `<table id="invocations">${INVOCATION_HEAD}<tbody>${invocationRows(invocations)}</tbody></table>` : `<div class="empty">No invocation in this window.</div>`}
    </div>`;
  Charts.requests(document.getElementById("chart-invocations"), series.points, { bars: "Invocations" });
  Charts.latency(document.getElementById("chart-duration"), series.points, ms);
  Charts.requests(document.getElementById("chart-cold-starts"),
    series.points.map((p) => ({ time: p.time, requests: p.cold_starts, errors: 0 })), { bars: "Cold starts", errors: null });
}
