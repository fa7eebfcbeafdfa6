// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { needsApproval, type PoolImpact } from "../../src/index.ts";

/**
 * The oracle, from the rule as the runbook states it: with approvals on,
 * config edits, demotes, rollout aborts and forced cordons/drains always need
 * a second principal; a plain cordon or drain does when some pool of the peer
 * would have more than N peers, or more than X % of its peers, out of service.
 * It counts the out-of-service peers one by one instead of multiplying.
 */
function oracle(kind: string, force: boolean, pools: readonly PoolImpact[], enabled: boolean, n: number, x: number): boolean {
  if (!enabled) return false;
  if (kind !== "cordon" && kind !== "drain") return true;
  if (force) return true;
  return pools.some((p) => {
    if (p.outAfter > n) return true;
    // "more than x percent": out / members > x / 100, checked without division by counting x/100 of the pool in hundredths.
    let hundredthsOut = 0;
    for (let i = 0; i < p.outAfter; i++) hundredthsOut += 100;
    let hundredthsAllowed = 0;
    for (let i = 0; i < p.members; i++) hundredthsAllowed += x;
    return hundredthsOut > hundredthsAllowed;
  });
}

const pool = fc
  .tuple(fc.integer({ min: 1, max: 200 }), fc.nat({ max: 200 }), fc.constantFrom("web", "db", "cache"))
  .map(([members, out, name]): PoolImpact => ({ pool: name, members, outAfter: Math.min(members, Math.max(1, out)) }));

describe("needsApproval", () => {
  it("agrees with the oracle over random action sizes and thresholds", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("cordon", "drain", "patchConfig", "demote", "abortRollout"),
        fc.boolean(),
        fc.array(pool, { minLength: 0, maxLength: 3 }),
        fc.boolean(),
        fc.nat({ max: 250 }),
        fc.nat({ max: 100 }),
        (kind, force, pools, enabled, massPeers, massPercent) => {
          const change =
            kind === "cordon" || kind === "drain"
              ? { kind, peer: "p-1", input: { reason: "r", ...(force ? { force: true } : {}) } }
              : kind === "patchConfig"
                ? { kind, patch: {} }
                : kind === "demote"
                  ? { kind, cluster: "us" }
                  : { kind };
          const got = needsApproval(change as Parameters<typeof needsApproval>[0], pools, { enabled, massPeers, massPercent });
          expect(got.required).toBe(oracle(kind, force, pools, enabled, massPeers, massPercent));
          if (got.required) {
            expect(got.reasons.length).toBeGreaterThan(0);
            expect(got.scope).toBe(kind === "patchConfig" || kind === "demote" || ((kind === "cordon" || kind === "drain") && force) ? "mesh.admin" : "mesh.operate");
          }
        },
      ),
      fcParams(),
    );
  });

  it("treats the thresholds as strict: exactly N peers or exactly X % passes", () => {
    const settings = { enabled: true, massPeers: 3, massPercent: 50 };
    const drain = { kind: "drain", peer: "web-1", input: { reason: "r" } } as const;
    expect(needsApproval(drain, [{ pool: "web", members: 6, outAfter: 3 }], settings).required).toBe(false);
    expect(needsApproval(drain, [{ pool: "web", members: 8, outAfter: 4 }], settings).required).toBe(true);
    expect(needsApproval(drain, [{ pool: "web", members: 4, outAfter: 2 }], settings).required).toBe(false);
    expect(needsApproval(drain, [{ pool: "web", members: 5, outAfter: 3 }], settings)).toMatchObject({ required: true, reasons: ["pool web: 3 of 5 peers (60%) out of service, more than 50%"] });
  });
});
