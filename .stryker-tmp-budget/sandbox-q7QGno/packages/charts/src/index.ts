/**
 * @drainkit/charts: SVG charts rendered to strings, with no DOM and no
 * dependencies, so the same code draws the simulator's offline HTML report
 * (Node) and the operator dashboard (browser, via `innerHTML`).
 */
// @ts-nocheck

export { renderLineChart, stepPoints, type LineChartSpec, type LineSeries, type Threshold } from "./lineChart.ts";
export { renderProgressBar, type ProgressBarSpec } from "./progressBar.ts";
export { linearScale, type LinearScale } from "./scale.ts";
export { escapeXml, palette } from "./escape.ts";
