// /logs: the functions' log lines, newest first: search by text, function, level, request id and
// time window (the filters are in the address); live tail; each line links to its trace.

import { api, link, windowParam } from "../api.js";
import { logRows } from "../components.js";
import { esc } from "../format.js";

const TAIL_EVERY_MS = 1000;
const PAGE = 200;
const FILTERS = ["q", "function", "level", "request_id"];

export async function show(view, params, navigate) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]));
  const live = params.get("live") === "1";
  const { functions } = await api("/api/logs/functions");
  const options = (values, chosen, any) => [`<option value="">${any}</option>`,
    ...values.map((v) => `<option${v === chosen ? " selected" : ""}>${esc(v)}</option>`)].join("");
  view.innerHTML = `
    <h1>Logs</h1>
    <div class="sub">What the functions printed: Lambda's START, END and REPORT lines, their logging and print output, runtime errors. Each line links to its trace.</div>
    <form class="filters" id="log-filters">
      <input name="q" placeholder="Search text" value="${esc(filters.q)}">
      <select name="function">${options(functions, filters.function, "All functions")}</select>
      <select name="level">${options(["DEBUG", "INFO", "WARNING", "ERROR"], filters.level.toUpperCase(), "Any level")}</select>
      <input name="request_id" placeholder="Request id" value="${esc(filters.request_id)}">
      <button type="submit">Search</button>
      <label class="small"><input type="checkbox" name="live" ${live ? "checked" : ""}> Live tail</label>
    </form>
    <div class="card logs-card">
      <div class="muted small logs-summary" id="logs-summary"></div>
      <table class="logs"><thead><tr><th>Time</th><th>Function</th><th>Request</th><th>Level</th><th>Message</th><th>Trace</th></tr></thead>
        <tbody id="log-rows"></tbody></table>
      <div class="empty" id="logs-empty" hidden>No line matches.</div>
      <div class="empty"><button type="button" id="logs-older" hidden>Older lines</button></div>
    </div>`;

  const form = document.getElementById("log-filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const chosen = Object.fromEntries(FILTERS.map((k) => [k, data.get(k)]).filter(([, v]) => v));
    if (data.get("live")) chosen.live = "1";
    navigate(link("/logs", chosen));
  });
  form.live.addEventListener("change", () => form.requestSubmit());

  const query = { ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)), window: windowParam(), limit: PAGE };
  const body = document.getElementById("log-rows");
  const traceCell = (l) => `<td class="mono">${l.trace_id
    ? `<a href="${esc(link(`/traces/${l.trace_id}`, { view: "logs" }))}" class="log-trace">${esc(String(l.trace_id).slice(-16))}</a>`
    : `<span class="muted">–</span>`}</td>`;
  // A line's request id filters the page to its invocation.
  const requestCell = (l) => `<td class="mono">${l.request_id
    ? `<a href="${esc(link("/logs", { request_id: l.request_id }))}" title="${esc(l.request_id)}">${esc(l.request_id.slice(0, 8))}</a>`
    : `<span class="muted">–</span>`}</td>`;
  const rows = (lines) => logRows(lines, { request: requestCell, extra: traceCell });
  let shown = 0;
  const count = () => {
    document.getElementById("logs-summary").textContent = `${shown} line${shown === 1 ? "" : "s"} shown${live ? " · live: new lines appear at the top" : ""}`;
    document.getElementById("logs-empty").hidden = shown > 0;
  };

  const first = await api("/api/logs", query);
  body.innerHTML = rows(first.logs);
  shown = first.logs.length;
  count();
  let oldest = first.logs.length ? first.logs[first.logs.length - 1].id : null;
  const older = document.getElementById("logs-older");
  older.hidden = first.logs.length < PAGE;
  older.addEventListener("click", async () => {
    const page = await api("/api/logs", { ...query, before: oldest });
    body.insertAdjacentHTML("beforeend", rows(page.logs));
    shown += page.logs.length;
    oldest = page.logs.length ? page.logs[page.logs.length - 1].id : oldest;
    older.hidden = page.logs.length < PAGE;
    count();
  });

  if (!live) return undefined;
  // Polled with a cursor: the id of the newest line seen.
  let cursor = first.cursor;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const fresh = await api("/api/logs", { ...query, after: cursor });
      cursor = fresh.cursor;
      if (fresh.logs.length) {
        body.insertAdjacentHTML("afterbegin", rows(fresh.logs.reverse()));
        body.querySelectorAll("tr").forEach((tr, i) => tr.classList.toggle("fresh", i < fresh.logs.length));
        shown += fresh.logs.length;
      }
      count();
    } catch {
      // The next poll tries again (the stack may be restarting).
      document.getElementById("logs-summary").textContent = `${shown} lines shown · live: connection lost, retrying…`;
    } finally {
      busy = false;
    }
  }, TAIL_EVERY_MS);
  return () => clearInterval(timer);
}
