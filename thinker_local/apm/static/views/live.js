// /live: traces as the agent receives them, polled every second; returns how to stop polling.

import { api } from "../api.js";
import { TRACE_HEAD, traceRows } from "../components.js";

export async function show(view) {
  let timer = null;
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
    timer = setTimeout(tick, 1000);
  };
  timer = setTimeout(tick, 1000);
  return () => clearTimeout(timer);
}
