// The trace panel's views, in tab order; the first is the default (a flame graph, as Datadog's).
//
// A panel is {id, label, render}: render(holder, ctx) draws it into the element holder, where
// ctx is what the trace page shares with every view:
//   ctx.trace         the trace as GET /api/traces/{trace_id} returns it (docs/apm-api.md)
//   ctx.byId          its spans by span_id
//   ctx.selected()    the selected span's id
//   ctx.select(id)    selects a span (the side panel, the address and the current view follow)
// render may return {update()}: the page calls it when the selection changes, instead of
// drawing the panel again (a view that keeps state of its own, such as folds or a zoom).

import * as flame from "./flame.js";
import * as logs from "./logs.js";
import * as spans from "./spans.js";
import * as waterfall from "./waterfall.js";

export const PANELS = [
  { id: "flame", label: "Flame graph", render: flame.render },
  { id: "waterfall", label: "Waterfall", render: waterfall.render },
  { id: "spans", label: "Span list", render: spans.render },
  { id: "logs", label: "Logs", render: logs.render },
];
