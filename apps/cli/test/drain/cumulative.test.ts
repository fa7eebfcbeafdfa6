import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cumulativeDrain } from "../../src/drain/cumulative.ts";
import type { Peer } from "../../src/types.ts";

const peer = (id: string, phase: Peer["phase"] = "active", pools = ["web"]): Peer => ({
  id,
  address: "10.0.0.1:80",
  pools,
  roles: ["edge"],
  labels: {},
  spec: { cordons: {} },
  phase,
  epoch: 0,
  version: 1,
});

describe("cumulative dry run", () => {
  it("judges each peer with the ones before it already drained", () => {
    const fleet = ["a", "b", "c", "d"].map((id) => peer(id));
    const v = cumulativeDrain(fleet, [{ name: "web", maxUnavailable: 1 }], ["a", "b"]);
    expect(v.map((x) => x.outcome)).toEqual(["allowed", "refused"]);
    expect(v[1]).toMatchObject({ pool: "web" });
    expect(v[1]!.detail).toContain("after a");
  });

  it("allows a drain down to exactly the budget and refuses one past it", () => {
    const fleet = ["a", "b", "c"].map((id) => peer(id));
    expect(cumulativeDrain(fleet, [{ name: "web", minAvailable: 2 }], ["a"]).map((x) => x.outcome)).toEqual(["allowed"]);
    expect(cumulativeDrain(fleet, [{ name: "web", minAvailable: 2 }], ["a", "b"]).map((x) => x.outcome)).toEqual(["allowed", "refused"]);
  });

  it("counts a peer whose agent is unknown as unavailable", () => {
    const fleet = [peer("a"), peer("b"), { ...peer("c"), liveness: "unknown" } as Peer];
    expect(cumulativeDrain(fleet, [{ name: "web", minAvailable: 2 }], ["a"]).map((x) => x.outcome)).toEqual(["refused"]);
  });

  it("allows exactly as many as minAvailable leaves room for, in order (property)", () => {
    // Oracle from first principles: with n active members and minAvailable m, the first n - m of the set pass.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 12 }), (n, m, k) => {
        const fleet = Array.from({ length: n }, (_, i) => peer(`n${i}`));
        const order = fleet.slice(0, Math.min(k, n)).map((p) => p.id);
        const v = cumulativeDrain(fleet, [{ name: "web", minAvailable: m }], order);
        const room = Math.max(0, n - m);
        expect(v.map((x) => x.outcome)).toEqual(order.map((_, i) => (i < room ? "allowed" : "refused")));
      }),
      { seed: Number(process.env["FC_SEED"] ?? 2112), verbose: true },
    );
    process.stdout.write(`cumulative property seed ${process.env["FC_SEED"] ?? 2112}\n`);
  });
});
