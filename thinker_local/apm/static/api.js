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

export async function api(path, params) {
  const response = await fetch(`${path}?${new URLSearchParams(params || {})}`);
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response.json();
}
