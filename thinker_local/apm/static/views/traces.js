// /traces?query=: the trace explorer: every trace, newest first, searched with Datadog's query
// syntax (service:, resource_name:, @tag:value, @duration:>500ms, status:error, free text, OR,
// parentheses, -negation); beside it, the facets of the spans the search matches, each value a
// click that adds its term to the query.

import { api, windowParam } from "../api.js";
import { onSearch, searchForm, searchTraces } from "../components.js";
import { esc } from "../format.js";

// Facet keys that are a span's own fields, and the term that searches each.
const FIELDS = { service: "service", resource: "resource_name", status: "status", env: "env" };

// The search term for a facet's value, quoted when the value holds what ends or changes a term.
function term(key, value) {
  const written = /^[^\s"()*\\]+$/.test(value) ? value : `"${value.replace(/[\\"]/g, "\\$&")}"`;
  return `${FIELDS[key] || `@${key}`}:${written}`;
}

async function loadFacets() {
  const holder = document.getElementById("facets");
  const text = document.getElementById("query").value;
  let answer;
  try {
    answer = await api("/api/facets", { window: windowParam(), ...(text.trim() ? { query: text } : {}) });
  } catch {
    holder.innerHTML = "";  // a malformed query: what is wrong is shown under the search box
    return;
  }
  const { facets, spans, complete } = answer;
  holder.innerHTML = `<div class="muted small" id="facet-spans">${complete ? "" : "the newest "}${spans} matching span${spans === 1 ? "" : "s"}</div>`
    + facets.filter((f) => f.values.length).map((f) => `<div class="facet" data-facet="${esc(f.key)}">
        <div class="section-title">${esc(f.facet)}</div>
        ${f.values.map((v) => `<button type="button" class="facet-value" data-term="${esc(term(f.key, v.value))}" title="${esc(v.value)}">
          <span class="facet-name">${esc(v.value)}</span><span class="facet-count">${v.count}</span></button>`).join("")}
        ${f.more ? `<div class="muted small">and ${f.more} more</div>` : ""}
      </div>`).join("");
}

export async function show(view, params) {
  view.innerHTML = `
    <h1>Traces</h1>
    <div class="sub">Every trace, newest first. A search keeps the traces holding a span that matches it:
      <span class="mono">service:</span>, <span class="mono">resource_name:</span>, <span class="mono">operation_name:</span>,
      <span class="mono">env:</span>, <span class="mono">status:error</span>, <span class="mono">@tag:value</span> (<span class="mono">*</span> for any characters),
      <span class="mono">@duration:&gt;500ms</span> or <span class="mono">[100ms TO 2s]</span>, free text, <span class="mono">OR</span>,
      parentheses, <span class="mono">-</span> to negate. A facet's value adds its term.</div>
    <div class="explorer"><div class="card facets" id="facets"></div>
      <div class="card">${searchForm(params)}<div id="traces"></div></div></div>`;
  const load = () => Promise.all([searchTraces({ limit: 100 }), loadFacets()]);
  onSearch("/traces", load);
  document.getElementById("facets").addEventListener("click", (event) => {
    const value = event.target.closest("[data-term]");
    if (!value) return;
    const input = document.getElementById("query");
    input.value = `${input.value.trim()} ${value.dataset.term}`.trim();
    document.getElementById("search").requestSubmit();
  });
  await load();
}
