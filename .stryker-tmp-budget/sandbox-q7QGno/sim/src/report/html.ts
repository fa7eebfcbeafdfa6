// @ts-nocheck
import { escapeXml as esc, palette, renderLineChart, type LineChartSpec, type Threshold } from "@drainkit/charts";
import type { SimReport } from "../Simulation.ts";
import { replayCommand, statusLine } from "./summary.ts";

// Each chart is drawn twice: wide for desktops, narrow (bigger text once scaled) for phones; CSS shows one, scaled to the column.
const WIDTH = 900;
const HEIGHT = 300;
const NARROW = { width: 420, height: 300 };
const BLOCKED_ROWS = 200;
const minutes = (ms: number): string => `${(ms / 60_000).toFixed(1)} min`;
const fmt = (n: number): string => n.toLocaleString("en-US");
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** Options of {@link htmlReport}. */
export interface HtmlReportOptions {
  /** The scenario as the user named it (file or shipped name), for the replay command. */
  readonly replay?: string;
}

/** The chart at both sizes; the page shows the one that fits. */
function responsive(spec: LineChartSpec): string {
  return `<div class="chart wide">${renderLineChart(spec)}</div><div class="chart narrow">${renderLineChart({ ...spec, ...NARROW })}</div>`;
}

function row(label: string, value: string): string {
  return `<tr><th scope="row">${esc(label)}</th><td>${value}</td></tr>`;
}

function summaryTable(r: SimReport, replay: string): string {
  const faults = Object.entries(r.faults);
  return `<table class="kv"><tbody>
${row("Fleet", `${fmt(r.nodes)} nodes in ${Object.keys(r.minAvailability).length} pool(s)`)}
${row("Simulated", `${minutes(r.simulatedMs)} (work done at ${minutes(r.workDoneMs)}) in ${fmt(r.wallMs)} ms wall, ${fmt(r.speedup)}× real time, ${fmt(r.events)} events`)}
${row("Drains", `${fmt(r.drains.started)} started, ${fmt(r.drains.completed)} completed, <b>${fmt(r.drains.failed)} failed</b>; the guard refused ${fmt(r.drains.refused)} request(s); ${fmt(r.forcedBreaches)} forced breach(es)`)}
${r.notUpgraded > 0 ? row("Rollout", `<b>${fmt(r.notUpgraded)} node(s) not upgraded</b>`) : ""}
${row("Requests", `${fmt(r.requests.arrived)} arrived, ${fmt(r.requests.served)} served, ${fmt(r.requests.unroutable)} unroutable, ${fmt(r.requests.lostOnCrash)} lost with crashed hosts, <b>${fmt(r.lostRequests)} lost otherwise</b>`)}
${row("Workloads", `${fmt(r.workloadMoves)} moves, <b>${fmt(r.lostWorkloads)} lost</b>`)}
${row("Faults", faults.length === 0 ? "none" : esc(faults.map(([k, v]) => `${k} ×${v}`).join(", ")))}
${r.controlPlaneDownMs > 0 ? row("Control plane down", minutes(r.controlPlaneDownMs)) : ""}
${row("Invariants", r.invariantViolations.length === 0 ? "every invariant held" : `<b>${r.invariantViolations.length} violated</b> (below)`)}
${row("Hash", `<code>${esc(r.hash)}</code>`)}
${row("Replay", `<code>${esc(replayCommand(replay, r.seed, r.nodes))}</code>`)}
</tbody></table>`;
}

function poolsTable(r: SimReport, pools: readonly string[]): string {
  const rows = pools.map((name, p) => {
    const floor = r.poolFloors[name];
    const ratio = r.minAvailability[name] ?? 1;
    const lowest = floor === undefined ? undefined : Math.round(ratio * floor.size);
    const state = floor === undefined || lowest === undefined ? "" : lowest < floor.required ? `<span class="bad">below its floor</span>` : lowest === floor.required ? `<span class="warn">at its floor</span>` : `<span class="ok">above its floor</span>`;
    return `<tr><td><span class="swatch" style="background:${palette[p % palette.length]}"></span>${esc(name)}</td><td>${floor === undefined ? "-" : fmt(floor.size)}</td><td>${floor === undefined ? "-" : `${fmt(floor.required)} (${pct(floor.required / Math.max(1, floor.size))})`}</td><td>${lowest === undefined ? pct(ratio) : `${fmt(lowest)} (${pct(ratio)})`}</td><td>${state}</td></tr>`;
  });
  return `<div class="scroll"><table class="grid"><thead><tr><th>pool</th><th>members</th><th>floor (budget keeps)</th><th>lowest available</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function blockedTable(r: SimReport): string {
  if (r.blocked.length === 0) return "";
  const shown = r.blocked.slice(0, BLOCKED_ROWS);
  const more = r.blocked.length - shown.length;
  return `<h2>Blocked nodes (${fmt(r.blocked.length)})</h2>
<p>Nodes an action could not drain, and why.</p>
<div class="scroll"><table class="grid"><thead><tr><th>node</th><th>pool</th><th>reason</th></tr></thead><tbody>${shown.map((b) => `<tr><td>${esc(b.node)}</td><td>${esc(b.pool ?? "-")}</td><td class="why">${esc(b.reason)}</td></tr>`).join("")}</tbody></table></div>
${more > 0 ? `<p>… and ${fmt(more)} more (<code>--json</code> lists every one).</p>` : ""}`;
}

function failedTable(r: SimReport): string {
  if (r.failedDrains.length === 0) return "";
  const shown = r.failedDrains.slice(0, BLOCKED_ROWS);
  return `<h2>Failed drains (${fmt(r.failedDrains.length)})</h2>
<div class="scroll"><table class="grid"><thead><tr><th>node</th><th>reason</th></tr></thead><tbody>${shown.map((f) => `<tr><td>${esc(f.node)}</td><td class="why">${esc(f.reason)}</td></tr>`).join("")}</tbody></table></div>`;
}

function violations(r: SimReport): string {
  if (r.invariantViolations.length === 0) return "";
  return `<h2>Invariant violations</h2><ul>${r.invariantViolations.map((v) => `<li><b>${esc(v.invariant)}</b> at event #${v.eventIndex} (t=${v.atMs.toFixed(0)} ms): ${esc(v.message)}</li>`).join("")}</ul><h3>Trace up to the violation</h3><pre>${r.violationTrace.map((t) => esc(JSON.stringify(t))).join("\n")}</pre>`;
}

/**
 * A self-contained HTML page (inline SVG and CSS, no script, no network) for
 * people: the run's status and figures as a table, each pool against its
 * floor, the blocked nodes and failed drains with their reasons, and charts of
 * pool availability (step lines, each pool's floor as a dashed line in its
 * colour) and drains in flight. The charts come from `@drainkit/charts`, the
 * component the operator dashboard draws with, and scale to the page's width.
 *
 * @example
 * writeFileSync("report.html", htmlReport(await new Simulation(scenario, { sampleEveryMs: 1000 }).run()));
 */
export function htmlReport(r: SimReport, options: HtmlReportOptions = {}): string {
  const samples = r.samples ?? [];
  const maxT = Math.max(1, samples.at(-1)?.t ?? r.simulatedMs);
  const pools = Object.keys(r.minAvailability);
  const colour = (p: number): string => palette[p % palette.length]!;
  const thresholds: Threshold[] = pools.flatMap((name, p) => {
    const floor = r.poolFloors[name];
    return floor === undefined || floor.size === 0 || floor.required === 0 ? [] : [{ label: `${name} floor ${floor.required}/${floor.size}`, y: floor.required / floor.size, color: colour(p) }];
  });
  // Room under the lowest line or floor, in tenths, so a dip of a few members still shows.
  const yMin = Math.max(0, Math.floor((Math.min(1, ...samples.flatMap((s) => s.availability), ...thresholds.map((t) => t.y)) - 0.05) * 10) / 10);
  const availability = responsive({
    title: "available members / pool size",
    ariaLabel: "pool availability over time",
    width: WIDTH,
    height: HEIGHT,
    series: pools.map((name, p) => ({ name: `${name} (lowest ${pct(r.minAvailability[name]!)})`, color: colour(p), curve: "step" as const, points: samples.map((s) => [s.t, s.availability[p] ?? 1] as const) })),
    thresholds,
    // Nested bands keep pools at 100 % apart; past a few pools they would only be thick.
    nestOverlaps: pools.length <= 4,
    xMin: 0,
    xMax: maxT,
    yMin,
    yMax: 1,
    formatX: minutes,
    formatY: (v) => `${(v * 100).toFixed(0)}%`,
  });
  const maxD = Math.max(1, ...samples.map((s) => s.drainsInFlight));
  const drains = responsive({
    title: "nodes draining",
    ariaLabel: "drains in flight over time",
    width: WIDTH,
    height: HEIGHT,
    series: [{ name: "drains in flight", color: "#d62728", curve: "step", points: samples.map((s) => [s.t, s.drainsInFlight] as const) }],
    xMin: 0,
    xMax: maxT,
    yMin: 0,
    yMax: maxD,
    formatX: minutes,
    formatY: (v) => (Number.isInteger(v) ? v.toFixed(0) : ""),
  });
  const { samples: _samples, violationTrace: _trace, ...rest } = r;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>drainkit sim: ${esc(r.scenario)} seed ${r.seed}</title>
<style>
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:16px;max-width:960px;color:#222}
h1{font-size:1.4em;margin:.2em 0 .4em}h2{font-size:1.15em;margin:1.4em 0 .5em}
svg.dk-chart{display:block;width:100%;height:auto;border:1px solid #ddd;border-radius:4px}
.status{padding:10px 12px;border-radius:4px;background:#eef7ee;border-left:4px solid #2ca02c}
.status.blocked,.status.incomplete{background:#fff6e5;border-color:#e69500}
.status.violated{background:#fdecec;border-color:#d62728}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #eee;overflow-wrap:break-word}
table.kv th{width:11em;color:#555;font-weight:600;white-space:nowrap}
table.grid th,table.grid td{white-space:nowrap}
table.grid td.why{white-space:normal;min-width:14em}
code{font-size:.9em;word-break:break-all}
.chart.narrow{display:none}
@media (max-width:600px){.chart.wide{display:none}.chart.narrow{display:block}}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-1px}
.ok{color:#1b7a1b}.warn{color:#a86400;font-weight:600}.bad{color:#c21f1f;font-weight:600}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
@media (max-width:480px){body{padding:10px;font-size:14px}table.kv th{width:auto}}
</style></head>
<body>
<h1>${esc(r.scenario)} — seed ${r.seed}, ${fmt(r.nodes)} nodes</h1>
<p class="status ${r.status}"><b>${esc(r.status)}</b>: ${esc(statusLine(r).trim().replace(/^[A-Z]+: /, ""))}</p>
<h2>Summary</h2>
${summaryTable(r, options.replay ?? r.scenario)}
<h2>Pools</h2>
${poolsTable(r, pools)}
${blockedTable(r)}
${failedTable(r)}
${violations(r)}
<h2>Pool availability</h2>
${availability}
<h2>Drains in flight</h2>
${drains}
<details><summary>The whole report as JSON</summary><pre>${esc(JSON.stringify(rest, null, 2))}</pre></details>
</body></html>
`;
}
