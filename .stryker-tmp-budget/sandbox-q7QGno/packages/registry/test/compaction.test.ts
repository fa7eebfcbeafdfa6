// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { compactionTarget } from "../src/index.ts";

describe("compactionTarget", () => {
  it("keeps every revision written within the window and nothing compacted twice", () => {
    const sample = fc.record({ at: fc.nat(1_000_000), revision: fc.nat(1_000_000) });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 30 }), fc.nat(2_000_000), fc.integer({ min: 1, max: 600_000 }), fc.nat(1_000_000), (samples, now, windowMs, compacted) => {
        const got = compactionTarget({ samples, now, windowMs, compacted });
        // From first principles: the revisions read at or before now - windowMs are old enough; the target is the newest of them.
        const old = samples.filter((s) => now - s.at >= windowMs).map((s) => s.revision);
        const newest = old.length === 0 ? undefined : old.reduce((a, b) => (a > b ? a : b));
        expect(got).toBe(newest !== undefined && newest > compacted ? newest : undefined);
      }),
      fcParams(),
    );
  });

  it("does nothing on a store younger than the window", () => {
    expect(compactionTarget({ samples: [{ at: 1_000, revision: 50 }], now: 100_000, windowMs: 300_000, compacted: 0 })).toBeUndefined();
    expect(compactionTarget({ samples: [{ at: 1_000, revision: 50 }, { at: 61_000, revision: 80 }], now: 361_000, windowMs: 300_000, compacted: 0 })).toBe(80);
  });
});
