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
  ...over,
}) as SimReport;

describe("htmlReport", () => {
  it("draws availability and drains with the shared chart component, one series per pool", () => {
    const html = htmlReport(report());
    expect(html.match(/class="dk-chart"/g)).toHaveLength(2);
    expect([...html.matchAll(/class="dk-legend"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(["web (min 75.0%)", "db (min 100.0%)", "drains in flight"]);
    expect(html.match(/class="dk-series"/g)).toHaveLength(3);
    // The same call the dashboard makes renders the same markup.
    expect(html).toContain(renderLineChart({ title: "nodes draining", ariaLabel: "drains in flight over time", width: 900, height: 280, series: [{ name: "drains in flight", color: "#d62728", points: [[0, 0], [120_000, 1], [240_000, 0]] }], xMin: 0, xMax: 240_000, yMin: 0, yMax: 1, formatX: (ms) => `${(ms / 60_000).toFixed(1)} min`, formatY: (v) => (Number.isInteger(v) ? v.toFixed(0) : "") }));
    expect(html).toContain("4.0 min");
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
