// /live: traces as the agent stores them, pushed by the server (server-sent events, see
// docs/apm-api.md); returns how to close the stream.

import { api } from "../api.js";
import { TRACE_HEAD, traceRows } from "../components.js";

export async function show(view) {
  view.innerHTML = `
    <div class="live-head"><span class="pulse"></span><h1>Live traces</h1></div>
    <div class="sub">New traces appear here as the agent stores them, pushed by the server. <span id="live-count"></span></div>
    <div class="card"><table>${TRACE_HEAD}<tbody id="live-rows"></tbody></table>
      <div class="empty" id="live-empty">Waiting for traces…</div></div>`;
  const { traces } = await api("/api/traces", { limit: 30 });
  const since = traces.reduce((m, t) => Math.max(m, t.received), 0);
  let received = 0;
  const body = document.getElementById("live-rows");
  body.innerHTML = traceRows(traces);
  document.getElementById("live-empty").style.display = traces.length ? "none" : "";
  const source = new EventSource(`/api/traces/stream?since=${since}`);
  source.addEventListener("open", () => { document.getElementById("live-count").textContent = ""; });
  source.addEventListener("traces", (event) => {
    const fresh = JSON.parse(event.data).traces;
    // A trace already listed may have grown (its other function's spans came later).
    for (const t of fresh) body.querySelector(`tr[data-trace="${t.trace_id}"]`)?.remove();
    body.insertAdjacentHTML("afterbegin", traceRows(fresh));
    body.querySelectorAll("tr").forEach((tr, i) => { tr.classList.toggle("fresh", i < fresh.length); if (i >= 200) tr.remove(); });
    received += fresh.length;
    document.getElementById("live-count").textContent = `${received} new since this page opened.`;
    document.getElementById("live-empty").style.display = "none";
  });
  // EventSource reconnects by itself (resuming from the last event's id); say so meanwhile.
  source.addEventListener("error", () => {
    document.getElementById("live-count").textContent = "(connection lost, reconnecting…)";
  });
  return () => source.close();
}
