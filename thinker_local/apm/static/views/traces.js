// /traces?query=: the trace explorer: every trace, newest first, searched with Datadog's query
// syntax (service:, resource_name:, @tag:value, @duration:>500ms, status:error, free text, OR,
// parentheses, -negation).

import { onSearch, searchForm, searchTraces } from "../components.js";

export async function show(view, params) {
  view.innerHTML = `
    <h1>Traces</h1>
    <div class="sub">Every trace, newest first. A search keeps the traces holding a span that matches all its terms:
      <span class="mono">service:</span>, <span class="mono">resource_name:</span>, <span class="mono">operation_name:</span>,
      <span class="mono">env:</span>, <span class="mono">status:error</span>, <span class="mono">@tag:value</span> (<span class="mono">*</span> for any characters),
      <span class="mono">@duration:&gt;500ms</span> or <span class="mono">[100ms TO 2s]</span>, <span class="mono">-</span> to negate.</div>
    <div class="card">${searchForm(params)}<div id="traces"></div></div>`;
  const loadTraces = () => searchTraces({ limit: 100 });
  onSearch("/traces", loadTraces);
  await loadTraces();
}
