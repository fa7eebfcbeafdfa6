import { describe, expect, it } from "vitest";
import { ProblemError } from "../src/errors.ts";
import { aboutPeer, refinedNext } from "../src/nextHints.ts";

describe("next hints", () => {
  it("names the pool, role, peer and rollout the problem names, instead of placeholders", () => {
    const depletion = new ProblemError(409, { code: "pool-depletion", details: { pool: "web", available: 2, required: 2 } });
    expect(refinedNext(depletion)).toContain("drainctl peers list --pool web");
    const solo = new ProblemError(409, { code: "only-schedulable-node", details: { peer: "n1", role: "ingest" } });
    expect(refinedNext(solo)).toContain("drainctl peers list --role ingest");
    const transition = aboutPeer(new ProblemError(409, { code: "invalid-transition", details: { role: "edge" } }), "web-1");
    expect(refinedNext(transition)).toBe("See where the peer is: drainctl peers describe web-1");
    const rollout = new ProblemError(409, { code: "rollout-in-progress", details: { rollout: "r-7", state: "running" } });
    expect(refinedNext(rollout)).toContain("drainctl rollout status r-7 --wait");
  });

  it("leaves the catalogue's hint when the problem names nothing to fill in", () => {
    expect(refinedNext(new ProblemError(409, { code: "pool-depletion" }))).toBeUndefined();
    expect(refinedNext(new ProblemError(404, { code: "not-found" }))).toBeUndefined();
    for (const hint of [refinedNext(new ProblemError(409, { code: "pool-depletion", details: { pool: "web" } }))]) expect(hint).not.toMatch(/<pool>|<peer>/);
  });
});
