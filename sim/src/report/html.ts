import { escapeXml as esc, palette, renderLineChart } from "@drainkit/charts";
import type { SimReport } from "../Simulation.ts";

const WIDTH = 900;
const HEIGHT = 280;
const minutes = (ms: number): string => `${(ms / 60_000).toFixed(1)} min`;

/**
 * A self-contained HTML page (inline SVG, no script, no network) charting
 * pool availability and drains in flight over the run. The charts come from
 * `@drainkit/charts`, the same component the operator dashboard draws with.
 */
export function htmlReport(r: SimReport): string {
  const samples = r.samples ?? [];
  const maxT = Math.max(1, samples.at(-1)?.t ?? r.simulatedMs);
  const pools = Object.keys(r.minAvailability);
  const yMin = Math.min(0.5, ...samples.flatMap((s) => s.availability));
  const availability = renderLineChart({
    title: "available members / pool size",
    ariaLabel: "pool availability over time",
    width: WIDTH,
    height: HEIGHT,
    series: pools.map((name, p) => ({ name: `${name} (min ${(r.minAvailability[name]! * 100).toFixed(1)}%)`, color: palette[p % palette.length]!, points: samples.map((s) => [s.t, s.availability[p] ?? 1] as const) })),
    xMin: 0,
    xMax: maxT,
    yMin,
    yMax: 1,
    formatX: minutes,
    formatY: (v) => `${(v * 100).toFixed(0)}%`,
  });
  const maxD = Math.max(1, ...samples.map((s) => s.drainsInFlight));
  const drains = renderLineChart({
    title: "nodes draining",
    ariaLabel: "drains in flight over time",
    width: WIDTH,
    height: HEIGHT,
    series: [{ name: "drains in flight", color: "#d62728", points: samples.map((s) => [s.t, s.drainsInFlight] as const) }],
    xMin: 0,
    xMax: maxT,
    yMin: 0,
    yMax: maxD,
    formatX: minutes,
    formatY: (v) => (Number.isInteger(v) ? v.toFixed(0) : ""),
  });
  const violations =
    r.invariantViolations.length === 0
      ? "<p>Every invariant held.</p>"
      : `<h2>Invariant violations</h2><ul>${r.invariantViolations.map((v) => `<li><b>${esc(v.invariant)}</b> at event #${v.eventIndex} (t=${v.atMs.toFixed(0)} ms): ${esc(v.message)}</li>`).join("")}</ul><h3>Trace</h3><pre>${r.violationTrace.map((t) => esc(JSON.stringify(t))).join("\n")}</pre>`;
  const summary = { ...r, samples: undefined, violationTrace: undefined };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drainkit sim: ${esc(r.scenario)} seed ${r.seed}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:960px}svg{border:1px solid #ccc}pre{background:#f6f6f6;padding:8px;overflow:auto}</style></head>
<body>
<h1>${esc(r.scenario)} — seed ${r.seed}, ${r.nodes} nodes</h1>
<p>${r.drains.completed} drains completed, ${r.drains.failed} failed, ${r.lostRequests} requests lost, ${r.lostWorkloads} workloads lost; simulated ${(r.simulatedMs / 60_000).toFixed(1)} min in ${r.wallMs} ms. Hash <code>${r.hash}</code></p>
${violations}
<h2>Pool availability</h2>
${availability}
<h2>Drains in flight</h2>
${drains}
<h2>Report</h2>
<pre>${esc(JSON.stringify(summary, null, 2))}</pre>
</body></html>
`;
}
