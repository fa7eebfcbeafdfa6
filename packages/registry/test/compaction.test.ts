import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { compactionTarget } from "../src/index.ts";

describe("compactionTarget", () => {
  it("keeps the newest `window` revisions and compacts only after `step` more", () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.nat(1_000_000), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 10_000 }), (revision, compacted, window, step) => {
        const got = compactionTarget({ revision, compacted, window, step });
        // From first principles: the oldest revision a watcher within the window still needs is revision - window + 1.
        const keepFrom = revision - window + 1;
        if (got === undefined) {
          expect(keepFrom - 1 <= 0 || keepFrom - 1 - compacted < step).toBe(true);
        } else {
          expect(got).toBe(keepFrom - 1);
          expect(got - compacted).toBeGreaterThanOrEqual(step);
          expect(got).toBeLessThan(revision);
        }
      }),
      fcParams(),
    );
  });

  it("does nothing on a young store", () => {
    expect(compactionTarget({ revision: 500, compacted: 0, window: 10_000, step: 1_000 })).toBeUndefined();
    expect(compactionTarget({ revision: 11_000, compacted: 0, window: 10_000, step: 1_000 })).toBe(1_000);
  });
});
