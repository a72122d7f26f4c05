// The JSON API (docs/apm-api.md), and the addresses of the pages with the chosen time window.

const windowSelect = document.getElementById("window");

export function windowParam() {
  return new URLSearchParams(location.search).get("window") || windowSelect.value || "1h";
}

export function link(path, params) {
  const query = new URLSearchParams(params || {});
  query.set("window", windowParam());
  return `${path}?${query}`;
}

// A failed call throws an Error whose `detail` is the API's JSON answer when it gave one
// (a malformed search: {error, position}).
export async function api(path, params) {
  const response = await fetch(`${path}?${new URLSearchParams(params || {})}`);
  if (!response.ok) {
    const text = await response.text();
    let detail = null;
    try { detail = JSON.parse(text); } catch { /* a text reason */ }
    const error = new Error(`${response.status} ${detail?.error || text}`);
    error.detail = detail;
    throw error;
  }
  return response.json();
}
