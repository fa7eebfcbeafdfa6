import { renderLineChart } from "@drainkit/charts";
import { describe, expect, it } from "vitest";
import { htmlReport } from "../../src/report/html.ts";
import type { SimReport } from "../../src/Simulation.ts";

// Only the fields the report draws matter here; the rest of SimReport keeps growing elsewhere.
const report = (over: Partial<Record<keyof SimReport, unknown>> = {}): SimReport => ({
  scenario: "rolling <web> & db",
  seed: 7,
  nodes: 4,
  events: 100,
  simulatedMs: 240_000,
  wallMs: 12,
  eventsPerSec: 1000,
  speedup: 20_000,
  drains: { started: 2, completed: 2, failed: 0, refused: 0 },
  minAvailability: { web: 0.75, db: 1 },
  poolFloors: { web: { size: 4, required: 3 }, db: { size: 2, required: 1 } },
  requests: { arrived: 10, served: 10, unroutable: 0, refused: 0, lostOnCrash: 0 },
  lostRequests: 0,
  lostWorkloads: 0,
  workloadMoves: 0,
  forcedBreaches: 0,
  faults: {},
  invariantViolations: [],
  violationTrace: [],
  finished: true,
  peakHeapMB: 10,
  hash: "abc",
  samples: [
    { t: 0, availability: [1, 1], drainsInFlight: 0 },
    { t: 120_000, availability: [0.75, 1], drainsInFlight: 1 },
    { t: 240_000, availability: [1, 1], drainsInFlight: 0 },
  ],
  blocked: [],
  workDoneMs: 240_000,
  failedDrains: [],
  cordons: { cordoned: 0, refused: 0, refusals: [] },
  status: "completed",
  notUpgraded: 0,
  controlPlaneDownMs: 0,
  ...over,
}) as SimReport;

describe("htmlReport", () => {
  it("draws availability and drains with the shared chart component: step lines, one per pool, each pool's floor in its colour", () => {
    const html = htmlReport(report());
    // Each chart twice: wide, and narrow for phones.
    expect(html.match(/class="dk-chart"/g)).toHaveLength(4);
    const legend = ["web (lowest 75.0%)", "db (lowest 100.0%)", "web floor 3/4", "db floor 1/2"];
    expect([...html.matchAll(/class="dk-legend"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual([...legend, ...legend, "drains in flight", "drains in flight"]);
    expect(html.match(/class="dk-series"/g)).toHaveLength(6);
    // Each floor is a dashed line in its pool's colour (the palette's first two).
    expect([...html.matchAll(/class="dk-threshold"[^>]*stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1])).toEqual(["#1f77b4", "#ff7f0e", "#1f77b4", "#ff7f0e"]);
    // The same call the dashboard makes renders the same markup; a step holds 0 until 120 000, then jumps.
    expect(html).toContain(renderLineChart({ title: "nodes draining", ariaLabel: "drains in flight over time", width: 900, height: 300, series: [{ name: "drains in flight", color: "#d62728", curve: "step", points: [[0, 0], [120_000, 1], [240_000, 0]] }], xMin: 0, xMax: 240_000, yMin: 0, yMax: 1, formatX: (ms) => `${(ms / 60_000).toFixed(1)} min`, formatY: (v) => (Number.isInteger(v) ? v.toFixed(0) : "") }));
    expect(html).toContain("4.0 min");
  });

  it("reads on a phone: a viewport meta, and charts that scale to the page's width", () => {
    const html = htmlReport(report());
    expect(html).toContain(`<meta name="viewport" content="width=device-width, initial-scale=1">`);
    expect(html).toMatch(/svg\.dk-chart\{[^}]*width:100%;height:auto/);
    expect(html).toMatch(/<div class="chart wide"><svg class="dk-chart"[^>]*viewBox="0 0 900 300"/);
    expect(html).toMatch(/<div class="chart narrow"><svg class="dk-chart"[^>]*viewBox="0 0 420 300"/);
    expect(html).toMatch(/@media \(max-width:600px\)\{\.chart\.wide\{display:none\}\.chart\.narrow\{display:block\}\}/);
  });

  it("is a readable summary, not raw JSON: figures in a table, pools against their floors, the replay command", () => {
    const html = htmlReport(report({ minAvailability: { web: 0.5, db: 0.5 } }), { replay: "scenarios/web.yaml" });
    const body = html.slice(html.indexOf("<body>"), html.indexOf("<details>"));
    expect(body).not.toContain("{");
    expect(body).toContain(`<p class="status completed"><b>completed</b>: every action finished its work</p>`);
    expect(body).toContain(`<th scope="row">Drains</th><td>2 started, 2 completed, <b>0 failed</b>`);
    expect(body).toContain("pnpm sim -- run scenarios/web.yaml --seed 7 --nodes 4");
    // web kept 2 of 4 with a floor of 3: below; db kept 1 of 2 with a floor of 1: at.
    expect(body).toMatch(/web<\/td><td>4<\/td><td>3 \(75\.0%\)<\/td><td>2 \(50\.0%\)<\/td><td><span class="bad">below its floor/);
    expect(body).toMatch(/db<\/td><td>2<\/td><td>1 \(50\.0%\)<\/td><td>1 \(50\.0%\)<\/td><td><span class="warn">at its floor/);
    // The JSON is still there for those who want it, folded.
    expect(html).toMatch(/<details><summary>The whole report as JSON<\/summary><pre>\{/);
  });

  it("lists every blocked node with its pool and reason, and failed drains with theirs", () => {
    const html = htmlReport(
      report({
        status: "blocked",
        blocked: [{ node: "n3", pool: "web", reason: "pool web must keep 3 of 4 available" }, { node: "n<9>", reason: "node is draining" }],
        failedDrains: [{ node: "n5", reason: "deadline passed with 2 in flight" }],
      }),
    );
    expect(html).toContain(`<p class="status blocked"><b>blocked</b>: 2 node(s) could not be drained</p>`);
    expect(html).toContain("<h2>Blocked nodes (2)</h2>");
    expect(html).toContain(`<tr><td>n3</td><td>web</td><td class="why">pool web must keep 3 of 4 available</td></tr>`);
    expect(html).toContain(`<tr><td>n&lt;9&gt;</td><td>-</td><td class="why">node is draining</td></tr>`);
    expect(html).toContain(`<h2>Failed drains (1)</h2>`);
    expect(html).toContain(`<tr><td>n5</td><td class="why">deadline passed with 2 in flight</td></tr>`);
  });

  it("stays self-contained and escapes the scenario's text", () => {
    const html = htmlReport(report());
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain("rolling &lt;web&gt; &amp; db");
    expect(html).not.toContain("<web>");
  });

  it("still renders a run without samples", () => {
    const html = htmlReport(report({ samples: undefined }));
    expect(html).toContain("no data yet");
  });
});
