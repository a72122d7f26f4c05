// /errors?service=: Error Tracking: error spans grouped into issues (docs/apm-api.md says by
// what fingerprint), each with its count, first and last seen and a sparkline over the window;
// /errors/{issue}: one issue, where it happened, its newest sample traces and its stack.
// Both refresh when the live stream (GET /api/traces/stream) brings a trace with an error.

import { api, link, windowParam } from "../api.js";
import { dot } from "../components.js";
import { dateTime, esc } from "../format.js";

// Bars of an issue's occurrences per bucket of the window, as an inline SVG.
function sparkline({ counts }, width = 150, height = 28) {
  const most = Math.max(1, ...counts);
  const slot = width / counts.length;
  const bars = counts.map((n, i) => {
    const h = n ? Math.max(2, (n / most) * (height - 2)) : 0;
    return `<rect x="${(i * slot + 0.5).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${Math.max(1, slot - 1).toFixed(1)}" height="${h.toFixed(1)}"></rect>`;
  }).join("");
  return `<svg class="spark" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><line x1="0" x2="${width}" y1="${height - 0.5}" y2="${height - 0.5}"></line>${bars}</svg>`;
}

const issueTitle = (issue) => `<span class="issue-type">${esc(issue.type || "error")}</span>
  <span class="mono">${esc(issue.message)}</span>`;

function issueRows(issues, fresh) {
  return issues.map((issue) => {
    const href = link(`/errors/${issue.id}`);
    return `<tr class="link${fresh.has(issue.id) ? " fresh" : ""}" data-href="${esc(href)}" data-issue="${esc(issue.id)}">
      <td><a href="${esc(href)}">${issueTitle(issue)}</a>
        <div class="muted small">${esc(issue.frames[0] || issue.pattern)}</div></td>
      <td class="num bad issue-count">${issue.count}</td>
      <td>${sparkline(issue.sparkline)}</td>
      <td>${issue.services.map((s) => `${dot(s)}${esc(s)}`).join("<br>")}</td>
      <td>${dateTime(issue.first_seen)}</td>
      <td>${dateTime(issue.last_seen)}</td>
    </tr>`;
  }).join("");
}

// Calls `changed` each time the live stream brings a trace holding an error; returns how to stop.
async function onNewErrors(changed) {
  const { traces } = await api("/api/traces", { limit: 1 });
  const source = new EventSource(`/api/traces/stream?since=${traces[0]?.received || 0}`);
  source.addEventListener("traces", (event) => {
    if (JSON.parse(event.data).traces.some((t) => t.error)) changed();
  });
  return () => source.close();
}

export async function show(view, params) {
  const service = params.get("service") || "";
  view.innerHTML = `
    <div class="live-head"><span class="pulse"></span><h1>Error Tracking</h1></div>
    <div class="sub">Error spans grouped into issues by type, message pattern and the top frames of
      the project's own code${service ? ` · service <b>${esc(service)}</b> (<a href="${esc(link("/errors"))}">all services</a>)` : ""}.
      New errors appear as they are stored.</div>
    <div class="card" id="issues"><div class="empty">Loading…</div></div>`;
  const holder = document.getElementById("issues");
  let shown = null;
  const draw = async () => {
    const { issues } = await api("/api/errors", { window: windowParam(), ...(service ? { service } : {}) });
    // Issues not on the screen before (or grown) light up as they arrive.
    const fresh = new Set(shown ? issues.filter((i) => shown.get(i.id) !== i.count).map((i) => i.id) : []);
    shown = new Map(issues.map((i) => [i.id, i.count]));
    holder.innerHTML = issues.length ? `<table id="issue-list"><thead><tr><th>Issue</th><th class="num">Count</th>
        <th>Occurrences</th><th>Services</th><th>First seen</th><th>Last seen</th></tr></thead>
        <tbody>${issueRows(issues, fresh)}</tbody></table>`
      : `<div class="empty">No errors in this window.</div>`;
  };
  await draw();
  return onNewErrors(draw);
}

export async function showIssue(view, id) {
  const draw = async () => {
    const { issue } = await api(`/api/errors/${encodeURIComponent(id)}`, { window: windowParam() });
    const places = issue.resources.map((r) => `<tr>
        <td>${dot(r.service)}<a href="${esc(link(`/services/${encodeURIComponent(r.service)}`))}">${esc(r.service)}</a></td>
        <td class="mono"><a href="${esc(link("/resource", { service: r.service, resource: r.resource }))}">${esc(r.resource)}</a></td>
        <td class="num">${r.count}</td></tr>`).join("");
    const samples = issue.samples.map((s) => {
      const href = link(`/traces/${s.trace_id}`, { span: s.span_id });
      return `<tr class="link" data-href="${esc(href)}" data-trace="${esc(s.trace_id)}">
        <td>${dateTime(s.start)}</td><td>${dot(s.service)}${esc(s.service)}</td>
        <td class="mono">${esc(s.resource)}</td><td class="mono">${esc(s.message)}</td>
        <td class="mono muted"><a href="${esc(href)}">${s.trace_id.slice(16)}</a></td></tr>`;
    }).join("");
    view.innerHTML = `
      <div class="crumbs"><a href="${esc(link("/errors"))}">Error Tracking</a> /</div>
      <h1 id="issue-title">${issueTitle(issue)}</h1>
      <div class="sub">Issue <span class="mono">${esc(issue.id)}</span> · message pattern <span class="mono">${esc(issue.pattern)}</span></div>
      <div class="tiles issue-tiles">
        <div class="tile"><div class="k">Occurrences</div><div class="v bad" id="issue-count">${issue.count}</div></div>
        <div class="tile"><div class="k">First seen</div><div class="v small">${dateTime(issue.first_seen)}</div></div>
        <div class="tile"><div class="k">Last seen</div><div class="v small">${dateTime(issue.last_seen)}</div></div>
        <div class="tile wide"><div class="k">Over the window</div>${sparkline(issue.sparkline, 360, 34)}</div>
      </div>
      <div class="grid2">
        <div class="card"><h2>Where</h2><table><thead><tr><th>Service</th><th>Resource</th><th class="num">Count</th></tr></thead>
          <tbody>${places}</tbody></table>
          <div class="section-title">Top frames of the project's code</div>
          <ol class="frames mono">${issue.frames.map((f) => `<li>${esc(f)}</li>`).join("") || "<li class=\"muted\">none in the stack</li>"}</ol></div>
        <div class="card error-box"><h2>Stack trace</h2><pre id="issue-stack">${esc(issue.stack || "(no stack recorded)")}</pre></div>
      </div>
      <div class="card"><h2>Newest samples</h2>
        ${samples ? `<table id="issue-samples"><thead><tr><th>Date</th><th>Service</th><th>Resource</th><th>Message</th><th>Trace</th></tr></thead>
          <tbody>${samples}</tbody></table>` : `<div class="empty">None in this window.</div>`}</div>`;
  };
  await draw();
  return onNewErrors(draw);
}
