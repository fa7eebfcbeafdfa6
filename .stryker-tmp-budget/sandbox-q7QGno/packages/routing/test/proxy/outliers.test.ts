// @ts-nocheck
import { SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createOutlierDetector, type OutlierEvent } from "../../src/proxy/outliers.ts";
import type { RouteMember } from "../../src/types.ts";

const member = (id: string, address = `10.0.0.${id.length}:80`): RouteMember => ({ id, address, role: "edge", phase: "active", pools: [], labels: {}, epoch: 0 });

describe("passive outlier ejection", () => {
  it("ejects after the threshold of consecutive failures, a success in between resets the streak", () => {
    const clock = new SimulatedClock({ start: 0 });
    const d = createOutlierDetector({ clock, consecutiveFailures: 3, baseEjectionMs: 1_000 });
    const a = member("a");
    expect([d.failure(a, 4), d.failure(a, 4)]).toEqual([false, false]);
    d.success(a);
    expect([d.failure(a, 4), d.failure(a, 4), d.failure(a, 4)]).toEqual([false, false, true]);
    expect(d.isEjected(a)).toBe(true);
  });

  it("lengthens each further ejection of the same member up to the maximum, and forgets a member that moved", () => {
    const clock = new SimulatedClock({ start: 0 });
    const events: OutlierEvent[] = [];
    const d = createOutlierDetector({ clock, consecutiveFailures: 1, baseEjectionMs: 1_000, maxEjectionMs: 2_500, onEvent: (e) => events.push(e) });
    const a = member("a");
    const lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      const at = clock.now();
      d.failure(a, 4);
      const until = (events.at(-1) as { untilMs: number }).untilMs;
      lengths.push(until - at);
      clock.advanceTo(until);
      expect(d.isEjected(a)).toBe(false);
    }
    expect(lengths).toEqual([1_000, 2_000, 2_500, 2_500]);
    d.failure(a, 4);
    expect(d.isEjected(a)).toBe(true);
    expect(d.isEjected(member("a", "10.9.9.9:80"))).toBe(false); // restarted elsewhere: a fresh start
  });

  it("never ejects more than maxEjectedPercent of the members (at least one)", () => {
    const clock = new SimulatedClock({ start: 0 });
    const d = createOutlierDetector({ clock, consecutiveFailures: 1, maxEjectedPercent: 50 });
    const ms = ["a", "b", "c", "d"].map((id) => member(id));
    expect(ms.map((m) => d.failure(m, 4))).toEqual([true, true, false, false]);
    expect(d.ejected()).toEqual(["a", "b"]);
    const lone = createOutlierDetector({ clock, consecutiveFailures: 1, maxEjectedPercent: 10 });
    expect(lone.failure(member("x"), 2)).toBe(true);
    expect(lone.failure(member("y"), 2)).toBe(false);
  });
});
