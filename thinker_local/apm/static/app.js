// The APM pages: one view per address, each drawn from the JSON API (docs/apm-api.md).
"use strict";

const view = document.getElementById("view");
const windowSelect = document.getElementById("window");

// ---- helpers -------------------------------------------------------------------------------

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function duration(ns) {
  if (ns == null) return "–";
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(0)} µs`;
  return `${Math.round(ns)} ns`;
}
const percent = (x) => `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`;
const dateTime = (ns) => new Date(ns / 1e6).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

// The same service keeps the same colour on every page.
const PALETTE = ["#7b3fc4", "#1c8fcf", "#f0a400", "#2ca66c", "#e05297", "#0f9f9f", "#a0522d", "#4f5bd5", "#64748b", "#c7a500"];
const KNOWN = { "thinker-api": 0, "thinker-microservice": 1, "thinker-api-gateway": 4, "thinker-microservice-gateway": 5, "aws.lambda": 8 };
function colour(service) {
  if (service in KNOWN) return PALETTE[KNOWN[service]];
  if (service.startsWith("dynamodb.")) return PALETTE[2];
  let h = 7;
  for (const c of service) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

function windowParam() {
  return new URLSearchParams(location.search).get("window") || windowSelect.value || "1h";
}

function link(path, params) {
  const query = new URLSearchParams(params || {});
  query.set("window", windowParam());
  return `${path}?${query}`;
}

async function api(path, params) {
  const response = await fetch(`${path}?${new URLSearchParams(params || {})}`);
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response.json();
}

function statusCell(status) {
  if (!status) return `<span class="muted">–</span>`;
  return `<span class="status s${String(status)[0]}">${esc(status)}</span>`;
}

function kindBadge(s) {
  return `<span class="badge${s.inferred ? " inferred" : ""}">${esc(s.kind)}${s.inferred ? " · inferred" : ""}</span>`;
}

function navigate(href) {
  history.pushState(null, "", href);
  route();
}

// Rows and links inside the view move between pages without a full reload.
view.addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-href]");
  if (row) { navigate(row.dataset.href); return; }
  const a = event.target.closest("a[href^='/']");
  if (a && !event.metaKey && !event.ctrlKey) { event.preventDefault(); navigate(a.getAttribute("href")); }
});
document.querySelectorAll(".topbar a[href^='/']").forEach((a) => a.addEventListener("click", (event) => {
  event.preventDefault();
  navigate(link(a.getAttribute("href")));
}));
windowSelect.addEventListener("change", () => {
  const query = new URLSearchParams(location.search);
  query.set("window", windowSelect.value);
  navigate(`${location.pathname}?${query}`);
});
window.addEventListener("popstate", route);

// ---- shared pieces -------------------------------------------------------------------------

function tiles(stats) {
  const cells = [
    ["Requests", stats.requests],
    ["Errors", stats.errors, stats.errors > 0],
    ["Error rate", percent(stats.error_rate), stats.error_rate > 0],
    ["p50 latency", duration(stats.p50)],
    ["p95 latency", duration(stats.p95)],
    ["p99 latency", duration(stats.p99)],
  ];
  return `<div class="tiles">${cells.map(([k, v, bad]) => `<div class="tile"><div class="k">${k}</div><div class="v${bad ? " bad" : ""}">${v}</div></div>`).join("")}</div>`;
}

async function graphs(params) {
  const holder = document.getElementById("graphs");
  const series = await api("/api/timeseries", { ...params, window: windowParam(), buckets: 40 });
  holder.innerHTML = `
    <div class="card"><h2>Requests and errors</h2><div class="chart" id="chart-requests"></div></div>
    <div class="card"><h2>Latency</h2><div class="chart" id="chart-latency"></div></div>`;
  Charts.requests(document.getElementById("chart-requests"), series.points);
  Charts.latency(document.getElementById("chart-latency"), series.points, duration);
}

// ---- views ---------------------------------------------------------------------------------

async function servicesView() {
  const { services } = await api("/api/services", { window: windowParam() });
  const rows = services.map((s) => `
    <tr class="link" data-href="${esc(link(`/services/${encodeURIComponent(s.service)}`))}">
      <td><span class="dot" style="background:${colour(s.service)}"></span><a href="${esc(link(`/services/${encodeURIComponent(s.service)}`))}">${esc(s.label)}</a>
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
        : `<div class="empty">No traces in this window yet. Send a request:<br><code>curl 'localhost:5000/think/?subject=technology&amp;subject=foo_bar'</code></div>`}
    </div>`;
  await graphs({});
}

async function serviceView(service) {
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
    <h1><span class="dot" style="background:${colour(service)}"></span>${esc(info.label)} ${info.kind ? kindBadge(info) : ""}</h1>
    <div class="sub">${info.label !== service ? `<span class="mono">${esc(service)}</span> · ` : ""}service overview</div>
    ${tiles(info)}
    <div class="grid2" id="graphs"></div>
    <div class="card"><h2>Resources</h2>
      ${resources.length ? `<table><thead><tr><th>Resource</th><th class="num">Requests</th><th class="num">Errors</th>
        <th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">Total time</th><th></th></tr></thead>
        <tbody>${rows}</tbody></table>` : `<div class="empty">No resources in this window.</div>`}
    </div>`;
  await graphs({ service });
}

function traceRows(traces) {
  return traces.map((t) => {
    const href = link(`/traces/${t.trace_id}`);
    return `<tr class="link" data-href="${esc(href)}" data-trace="${t.trace_id}">
      <td>${dateTime(t.start)}</td>
      <td>${statusCell(t.status)}</td>
      <td><span class="dot" style="background:${colour(t.service)}"></span>${esc(t.service)}</td>
      <td class="mono">${esc(t.resource)}</td>
      <td class="num">${duration(t.duration)}</td>
      <td class="num">${t.span_count}</td>
      <td>${t.error ? `<span class="badge error">${t.errors} error${t.errors > 1 ? "s" : ""}</span>` : `<span class="badge ok">OK</span>`}</td>
      <td class="mono muted"><a href="${esc(href)}">${t.trace_id.slice(16)}</a></td>
    </tr>`;
  }).join("");
}

const TRACE_HEAD = `<thead><tr><th>Date</th><th>Status</th><th>Service</th><th>Resource</th>
  <th class="num">Duration</th><th class="num">Spans</th><th>Error</th><th>Trace</th></tr></thead>`;

async function resourceView(params) {
  const service = params.get("service") || "";
  const resource = params.get("resource") || "";
  const name = params.get("name") || "";
  const { resources } = await api(`/api/services/${encodeURIComponent(service)}/resources`, { window: windowParam() });
  const info = resources.find((r) => r.resource === resource && (!name || r.name === name)) || resources.find((r) => r.resource === resource) || { requests: 0, errors: 0, error_rate: 0, p50: 0, p95: 0, p99: 0 };
  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/services"))}">Services</a> /
      <a href="${esc(link(`/services/${encodeURIComponent(service)}`))}">${esc(service)}</a> /</div>
    <h1 class="mono">${esc(resource)} ${name ? `<span class="badge">${esc(name)}</span>` : ""}</h1>
    <div class="sub">resource of <span class="dot" style="background:${colour(service)}"></span>${esc(service)}</div>
    ${tiles(info)}
    <div class="grid2" id="graphs"></div>
    <div class="card"><h2>Traces</h2>
      <form class="filters" id="filters">
        <select name="error"><option value="">All traces</option><option value="true">With errors</option><option value="false">Without errors</option></select>
        <input name="tag" placeholder="tag, e.g. subject:foo_bar" value="${esc(params.get("tag") || "")}">
        <button type="submit">Filter</button>
        <span class="muted" id="trace-count"></span>
      </form>
      <div id="traces"></div>
    </div>`;
  const form = document.getElementById("filters");
  form.error.value = params.get("error") || "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams(location.search);
    for (const key of ["error", "tag"]) {
      if (form[key].value) next.set(key, form[key].value); else next.delete(key);
    }
    history.replaceState(null, "", `/resource?${next}`);
    loadTraces();
  });
  async function loadTraces() {
    const query = { service, resource, limit: 100 };
    if (form.error.value) query.error = form.error.value;
    if (form.tag.value.trim()) query.tag = form.tag.value.trim();
    const holder = document.getElementById("traces");
    try {
      const { traces } = await api("/api/traces", query);
      document.getElementById("trace-count").textContent = `${traces.length} trace${traces.length === 1 ? "" : "s"}, newest first`;
      holder.innerHTML = traces.length ? `<table>${TRACE_HEAD}<tbody>${traceRows(traces)}</tbody></table>` : `<div class="empty">No trace matches.</div>`;
    } catch (error) {
      holder.innerHTML = `<div class="empty bad">${esc(error.message)}</div>`;
    }
  }
  await Promise.all([graphs({ service, resource }), loadTraces()]);
}

// Cold-start tracing adds a span per imported module: hidden until a load span is unfolded.
const IMPORT_SPAN = "aws.lambda.import";

async function traceView(traceId) {
  const trace = await api(`/api/traces/${encodeURIComponent(traceId)}`);
  const spans = trace.spans;
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const root = spans[0];
  const entry = spans.find((s) => s.meta["http.status_code"]) || root;
  const services = [...new Set(spans.map((s) => s.service))];
  const folded = new Set();
  let showImports = false;
  let selected = (spans.find((s) => s.error) || root).span_id;

  const shareBar = trace.services.map((s) => `<div style="width:${(s.share * 100).toFixed(2)}%;background:${colour(s.service)}" title="${esc(s.service)} ${percent(s.share)}"></div>`).join("");
  const shareLegend = trace.services.map((s) => `<span><span class="dot" style="background:${colour(s.service)}"></span>${esc(s.service)} <b>${percent(s.share)}</b> <span class="muted">${duration(s.time)}</span></span>`).join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<span style="left:${f * 100}%">${duration(trace.duration * f)}</span>`).join("");

  view.innerHTML = `
    <div class="crumbs"><a href="${esc(link("/services"))}">Services</a> /
      <a href="${esc(link(`/services/${encodeURIComponent(entry.service)}`))}">${esc(entry.service)}</a> / trace</div>
    <h1><span class="mono">${esc(root.name)}</span> <span class="muted mono" style="font-weight:400">${esc(root.resource)}</span></h1>
    <div class="card">
      <div class="trace-head">
        <div><div class="k">Date</div><div class="v">${dateTime(trace.start)}</div></div>
        <div><div class="k">Status</div><div class="v">${statusCell(entry.meta["http.status_code"])}</div></div>
        <div><div class="k">Duration</div><div class="v">${duration(trace.duration)}</div></div>
        <div><div class="k">Spans</div><div class="v">${spans.length}</div></div>
        <div><div class="k">Errors</div><div class="v ${spans.some((s) => s.error) ? "bad" : ""}">${spans.filter((s) => s.error).length}</div></div>
        <div><div class="k">Method</div><div class="v mono">${esc(entry.meta["http.method"] || "–")}</div></div>
        <div style="flex:1;min-width:260px"><div class="k">URL</div><div class="v mono" style="font-size:13px;word-break:break-all">${esc(entry.meta["http.url"] || "–")}</div></div>
      </div>
      <div class="k muted" style="font-size:11px;text-transform:uppercase;letter-spacing:.5px">Time spent per service · ${services.length} services</div>
      <div class="share">${shareBar}</div>
      <div class="share-legend" id="service-share">${shareLegend}</div>
    </div>
    <div class="trace-body">
      <div class="waterfall">
        <div class="wf-axis"><div style="padding:4px 8px">Span</div><div class="ticks">${ticks}</div></div>
        <div id="rows"></div>
      </div>
      <div class="card detail" id="detail"></div>
    </div>
    <div class="muted mono" style="margin-top:8px;font-size:12px">trace ${esc(trace.trace_id)}</div>`;

  function hidden(span) {
    if (span.name === IMPORT_SPAN && !showImports) return true;
    for (let p = byId.get(span.parent_id); p; p = byId.get(p.parent_id)) if (folded.has(p.span_id)) return true;
    return false;
  }
  const isLoad = (s) => s.name === "aws.lambda.load" && s.descendants;

  function drawRows() {
    const html = spans.filter((s) => !hidden(s)).map((s) => {
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
      return `<div class="wf-row${s.span_id === selected ? " selected" : ""}" data-span="${s.span_id}">
        <div class="wf-name" style="padding-left:${8 + s.depth * 14}px" title="${esc(s.service)} · ${esc(s.name)} · ${esc(s.resource)}">
          <span class="toggle" data-toggle="${s.descendants ? s.span_id : ""}">${toggle}</span><span class="dot" style="background:${colour(s.service)}"></span><span class="op">${esc(s.name)}</span><span class="res">${esc(s.resource)}</span>
          ${s.descendants && closed ? `<span class="badge">+${s.descendants}${isLoad(s) ? " imports" : ""}</span>` : ""}${s.error ? `<span class="badge error">error</span>` : ""}
        </div>
        <div class="wf-track">
          <div class="wf-bar${s.error ? " err" : ""}" style="left:${left}%;width:${width}%;background:${colour(s.service)}"></div>
          <div class="wf-label${inside ? " inside" : ""}" style="${labelPlace}">${duration(s.duration)} · ${percent(share)}${s.meta.subject ? ` · subject:${esc(s.meta.subject)}` : ""}</div>
        </div>
      </div>`;
    }).join("");
    document.getElementById("rows").innerHTML = html;
  }

  function drawDetail() {
    const s = byId.get(selected);
    // The stack is shown in the error box above, not repeated among the tags.
    const tags = Object.entries(s.meta).filter(([k]) => k !== "error.stack").sort(([a], [b]) => a.localeCompare(b));
    const metrics = Object.entries(s.metrics).sort(([a], [b]) => a.localeCompare(b));
    const error = s.error ? `<div class="error-box" id="span-error">
        <div class="type">${esc(s.meta["error.type"] || "error")}</div>
        <div class="message">${esc(s.meta["error.message"] || "")}</div>
        ${s.meta["error.stack"] ? `<details open><summary>Stack trace</summary><pre>${esc(s.meta["error.stack"])}</pre></details>` : ""}</div>` : "";
    document.getElementById("detail").innerHTML = `
      <h2>${esc(s.name)}</h2>
      <div><span class="dot" style="background:${colour(s.service)}"></span><b>${esc(s.service)}</b> · <span class="mono">${esc(s.resource)}</span></div>
      <table class="kv" style="margin-top:8px"><tbody>
        <tr><td>duration</td><td>${duration(s.duration)} (${percent(s.duration / trace.duration)} of the trace)</td></tr>
        <tr><td>own time</td><td>${duration(s.self_time)}</td></tr>
        <tr><td>starts at</td><td>${s.start < trace.start ? "−" + duration(trace.start - s.start) + " (before the request)" : "+" + duration(s.start - trace.start)}</td></tr>
        <tr><td>span id</td><td>${esc(s.span_id)}</td></tr>
      </tbody></table>
      ${error}
      <div class="section-title">Tags</div>
      <table class="kv" id="span-tags"><tbody>${tags.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</tbody></table>
      ${metrics.length ? `<div class="section-title">Metrics</div><table class="kv"><tbody>${metrics.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</tbody></table>` : ""}`;
  }

  document.getElementById("rows").addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle && toggle.dataset.toggle) {
      const id = toggle.dataset.toggle;
      if (isLoad(byId.get(id))) showImports = !showImports;
      else if (folded.has(id)) folded.delete(id); else folded.add(id);
      drawRows();
      return;
    }
    const row = event.target.closest(".wf-row");
    if (!row) return;
    selected = row.dataset.span;
    drawRows();
    drawDetail();
  });
  drawRows();
  drawDetail();
}

let liveTimer = null;

async function liveView() {
  view.innerHTML = `
    <div class="live-head"><span class="pulse"></span><h1>Live traces</h1></div>
    <div class="sub">New traces appear here as the agent receives them (checked every second). <span id="live-count"></span></div>
    <div class="card"><table>${TRACE_HEAD}<tbody id="live-rows"></tbody></table>
      <div class="empty" id="live-empty">Waiting for traces…</div></div>`;
  const { traces } = await api("/api/traces", { limit: 30 });
  let since = traces.reduce((m, t) => Math.max(m, t.received), 0);
  let received = 0;
  const body = document.getElementById("live-rows");
  body.innerHTML = traceRows(traces);
  document.getElementById("live-empty").style.display = traces.length ? "none" : "";
  const tick = async () => {
    if (location.pathname !== "/live") return;
    try {
      const fresh = (await api("/api/traces", { limit: 100, since })).traces;
      if (fresh.length) {
        since = fresh.reduce((m, t) => Math.max(m, t.received), since);
        // A trace already listed may have grown (its other function's spans came later).
        for (const t of fresh) body.querySelector(`tr[data-trace="${t.trace_id}"]`)?.remove();
        body.insertAdjacentHTML("afterbegin", traceRows(fresh));
        body.querySelectorAll("tr").forEach((tr, i) => { tr.classList.toggle("fresh", i < fresh.length); if (i >= 200) tr.remove(); });
        received += fresh.length;
        document.getElementById("live-count").textContent = `${received} new since this page opened.`;
        document.getElementById("live-empty").style.display = "none";
      }
    } catch (error) {
      document.getElementById("live-count").textContent = `(${error.message})`;
    }
    liveTimer = setTimeout(tick, 1000);
  };
  liveTimer = setTimeout(tick, 1000);
}

// ---- router --------------------------------------------------------------------------------

async function route() {
  clearTimeout(liveTimer);
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  windowSelect.value = windowParam();
  document.querySelectorAll(".topbar nav a").forEach((a) => a.classList.toggle("active",
    (a.dataset.nav === "live") === (path === "/live")));
  try {
    if (path === "/live") await liveView();
    else if (path.startsWith("/traces/")) await traceView(decodeURIComponent(path.slice(8)));
    else if (path === "/resource") await resourceView(params);
    else if (path.startsWith("/services/")) await serviceView(decodeURIComponent(path.slice(10)));
    else await servicesView();
    document.title = `${document.querySelector("h1")?.textContent.trim() || "APM"} · thinker APM`;
  } catch (error) {
    view.innerHTML = `<div class="card empty bad">${esc(error.message)}</div>`;
  }
}

route();
