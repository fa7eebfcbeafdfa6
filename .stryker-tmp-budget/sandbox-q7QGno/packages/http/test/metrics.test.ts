// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createPromMetrics } from "../src/metrics.ts";

/** One sample of the text exposition; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    if (line.slice(0, cut) === series) return Number(line.slice(cut + 1));
  }
  return undefined;
}

describe("createPromMetrics: workload move series", () => {
  it("exports every move series at 0 before the first move, with type and help", async () => {
    const text = await createPromMetrics({ defaultMetrics: false }).registry.metrics();
    expect(sample(text, 'drainkit_workload_moves_total{outcome="done"}')).toBe(0);
    expect(sample(text, 'drainkit_workload_moves_total{outcome="failed"}')).toBe(0);
    expect(sample(text, "drainkit_workload_moves_in_flight")).toBe(0);
    expect(sample(text, "drainkit_workload_move_duration_seconds_count")).toBe(0);
    expect(text).toContain("# TYPE drainkit_workload_moves_total counter");
    expect(text).toContain("# TYPE drainkit_workload_moves_in_flight gauge");
    expect(text).toContain("# TYPE drainkit_workload_move_duration_seconds histogram");
    expect(text).toMatch(/# HELP drainkit_workload_moves_total .*leader/);
  });

  it("property: the exposition adds up the outcomes, keeps the last in-flight count and buckets every duration", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("done" as const, "failed" as const), { maxLength: 40 }),
        fc.array(fc.double({ min: 0, max: 300, noNaN: true }), { maxLength: 40 }),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 10 }),
        async (outcomes, durations, counts) => {
          const m = createPromMetrics({ defaultMetrics: false });
          for (const o of outcomes) m.workloadMoves.inc({ outcome: o });
          for (const d of durations) m.workloadMoveDuration.observe(d);
          for (const c of counts) m.workloadMovesInFlight.set(c);
          const text = await m.registry.metrics();
          expect(sample(text, 'drainkit_workload_moves_total{outcome="done"}')).toBe(outcomes.filter((o) => o === "done").length);
          expect(sample(text, 'drainkit_workload_moves_total{outcome="failed"}')).toBe(outcomes.filter((o) => o === "failed").length);
          expect(sample(text, "drainkit_workload_moves_in_flight")).toBe(counts.at(-1));
          expect(sample(text, "drainkit_workload_move_duration_seconds_count")).toBe(durations.length);
          expect(sample(text, 'drainkit_workload_move_duration_seconds_bucket{le="+Inf"}')).toBe(durations.length);
          expect(sample(text, 'drainkit_workload_move_duration_seconds_bucket{le="1"}')).toBe(durations.filter((d) => d <= 1).length);
        },
      ),
      fcParams({ numRuns: 100 }),
    );
  });
});
