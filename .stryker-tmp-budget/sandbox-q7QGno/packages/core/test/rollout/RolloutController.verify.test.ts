// @ts-nocheck
import { describe, expect, it } from "vitest";
import { RolloutController, type RolloutEvent, type RolloutHooks } from "../../src/index.ts";
import { fleetNode, MemoryFleet } from "./harness.ts";

/** Three web nodes, one down at a time, with the hooks of the in-memory fleet as a base. */
function threeWeb(): { fleet: MemoryFleet; hooks: RolloutHooks } {
  const fleet = new MemoryFleet(["web0", "web1", "web2"].map((id) => fleetNode(id, ["web"])), []);
  return { fleet, hooks: fleet.hooks("2.0.0") };
}

const pools = [{ name: "web", maxUnavailable: 1 }];

describe("RolloutController verifies upgrades", () => {
  it("fails a node that never reports the target version once its healthy deadline passes, naming the version it reports", async () => {
    const { fleet, hooks } = threeWeb();
    const controller = new RolloutController({
      clock: fleet.clock,
      pools,
      fleet: fleet.view,
      // web1's upgrade does nothing: it comes back on 1.0.0.
      hooks: { ...hooks, upgrade: (id, deadline) => (id === "web1" ? undefined : hooks.upgrade(id, deadline)) },
      healthTimeoutMs: 5_000,
      healthIntervalMs: 500,
      failureThreshold: 5,
    });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result).toMatchObject({ status: "incomplete", upgraded: ["web0", "web2"] });
    expect(result!.failed).toEqual([{ node: "web1", reason: expect.stringMatching(/^version-not-reported: it reports version 1\.0\.0, not 2\.0\.0/) }]);
  });

  it("with verify off, the same rollout completes: nothing checks the version", async () => {
    const { fleet, hooks } = threeWeb();
    const controller = new RolloutController({
      clock: fleet.clock,
      pools,
      fleet: fleet.view,
      hooks: { ...hooks, upgrade: () => undefined },
      verify: false,
      healthTimeoutMs: 5_000,
    });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result).toMatchObject({ status: "completed", failed: [] });
    expect([...fleet.nodes.values()].map((n) => n.version)).toEqual(["1.0.0", "1.0.0", "1.0.0"]);
  });

  it("counts a node only once it stayed healthy for minHealthyMs after its last break", async () => {
    const { fleet, hooks } = threeWeb();
    const unhealthyAt: number[] = [];
    const healthyAt = new Map<string, number>();
    let flaps = 3;
    const controller = new RolloutController({
      clock: fleet.clock,
      pools,
      fleet: fleet.view,
      hooks: {
        ...hooks,
        observe: async (id) => {
          const seen = await hooks.observe(id);
          // web0 goes silent on its first three observations after the resume, then stays up.
          if (id === "web0" && flaps-- > 0) {
            unhealthyAt.push(fleet.clock.now());
            return { ...seen, live: false };
          }
          return seen;
        },
      },
      minHealthyMs: 3_000,
      healthIntervalMs: 500,
      events: { emit: (e: RolloutEvent) => void (e.type === "rollout-node" && e.phase === "healthy" && healthyAt.set(e.node, fleet.clock.now())) },
    });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result?.status).toBe("completed");
    expect(unhealthyAt).toHaveLength(3);
    // The count starts at the first healthy observation after the last break (one interval later).
    expect(healthyAt.get("web0")! - unhealthyAt.at(-1)!).toBeGreaterThanOrEqual(3_000 + 500);
  });

  it("defers a node whose drain is refused for capacity, gives its cordon back, and upgrades it when room returns; it never fails", async () => {
    const { fleet, hooks } = threeWeb();
    let refusals = 2;
    const released: string[] = [];
    const events: RolloutEvent[] = [];
    const controller = new RolloutController({
      clock: fleet.clock,
      pools,
      fleet: fleet.view,
      hooks: {
        ...hooks,
        drain: (id, epoch, deadline) => (id === "web0" && refusals-- > 0 ? { status: "deferred", failure: 'pool "web" has no room' } : hooks.drain(id, epoch, deadline)),
        release: (id) => {
          released.push(id);
          Object.assign(fleet.nodes.get(id)!, { phase: "active", schedulable: true });
        },
      },
      retryDelayMs: 1_000,
      events: { emit: (e) => void events.push(e) },
    });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result).toMatchObject({ status: "completed", failed: [], blocked: [] });
    expect(new Set(result!.upgraded)).toEqual(new Set(["web0", "web1", "web2"]));
    const web0 = events.filter((e): e is Extract<RolloutEvent, { type: "rollout-node" }> => e.type === "rollout-node" && e.node === "web0");
    expect(web0.filter((e) => e.phase === "deferred").map((e) => e.reason)).toEqual(['pool "web" has no room', 'pool "web" has no room']);
    expect(web0.some((e) => e.phase === "failed")).toBe(false);
    expect(released).toEqual(["web0", "web0"]);
  });

  it("abort gives back the cordon of every node of the wave that had not started draining", async () => {
    const fleet = new MemoryFleet(["a", "b", "c", "d"].map((id) => fleetNode(id, ["web"])), []);
    const hooks = fleet.hooks("2.0.0");
    const controller: RolloutController = new RolloutController({
      clock: fleet.clock,
      pools: [{ name: "web", maxUnavailable: 2 }],
      fleet: fleet.view,
      maxParallel: 2,
      hooks: {
        ...hooks,
        // The abort lands while the wave is cordoned, before any of it drains.
        cordon: (id) => {
          hooks.cordon(id);
          if (id === "b") controller.abort();
        },
        release: (id) => void Object.assign(fleet.nodes.get(id)!, { phase: "active", schedulable: true }),
      },
    });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result?.status).toBe("aborted");
    expect([...fleet.nodes.values()].map((n) => n.phase)).toEqual(["active", "active", "active", "active"]);
  });
});
