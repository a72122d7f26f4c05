// /traces?query=: the trace explorer: every trace, newest first, searched with Datadog's query
// syntax (service:, resource_name:, @tag:value, @duration:>500ms, status:error, -negation).

import { onSearch, searchForm, searchTraces } from "../components.js";

export async function show(view, params) {
  view.innerHTML = `
    <h1>Traces</h1>
    <div class="sub">Every trace, newest first. A search keeps the traces holding a span that matches all its terms.</div>
    <div class="card">${searchForm(params)}<div id="traces"></div></div>`;
  const loadTraces = () => searchTraces({ limit: 100 });
  onSearch("/traces", loadTraces);
  await loadTraces();
}
