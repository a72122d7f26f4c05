// A colour per service from a fixed palette, the same on every page and after a reload.
//
// A service starts from the palette slot its name hashes to and takes the next free one if
// another service holds it, so the first services seen never share a colour; the choices are
// kept in localStorage, so the order in which pages meet services does not change them.

const PALETTE = ["#7b3fc4", "#1c8fcf", "#f0a400", "#2ca66c", "#e05297", "#0f9f9f", "#a0522d", "#4f5bd5", "#64748b", "#c7a500"];
const STORAGE_KEY = "apm.colours";

const assigned = load();

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
    return new Map(Object.entries(saved).filter(([, slot]) => Number.isInteger(slot) && slot >= 0 && slot < PALETTE.length));
  } catch {
    return new Map();
  }
}

function save() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(assigned)));
  } catch {
    // Storage may be unavailable (private mode); colours then hold for this page only.
  }
}

function hash(text) {
  let h = 7;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

export function colour(service) {
  if (!assigned.has(service)) {
    const taken = new Set(assigned.values());
    const first = hash(service) % PALETTE.length;
    let slot = first;
    for (let step = 0; step < PALETTE.length; step++) {
      const candidate = (first + step) % PALETTE.length;
      if (!taken.has(candidate)) { slot = candidate; break; }
    }
    assigned.set(service, slot);
    save();
  }
  return PALETTE[assigned.get(service)];
}
