// The APM pages: one view per address, each drawn from the JSON API (docs/apm-api.md).
//
// ES modules, no build step: router.js picks the view (views/*.js); api.js fetches; format.js,
// colours.js, components.js and charts.js draw.

import { start } from "./router.js";

start();
