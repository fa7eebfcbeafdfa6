// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createCountingParticipant,
  isAvailable,
  NodeDrainCoordinator,
  resolveBudget,
  RolloutController,
  type PoolBudget,
  type Workload,
} from "../../src/index.ts";
import { fcParams, RecordingEventSink } from "../../src/testing/index.ts";
import { fleetNode, MemoryFleet } from "./harness.ts";

function smallFleet(): MemoryFleet {
  const nodes = [
    ...Array.from({ length: 4 }, (_, i) => fleetNode(`web${i}`, ["web"])),
    ...Array.from({ length: 3 }, (_, i) => fleetNode(`db${i}`, ["db"])),
  ];
  const workloads: Workload[] = [];
  nodes.forEach((n, i) => {
    workloads.push({ id: `owner${i}`, node: n.id });
    for (let c = 0; c < 3; c++) workloads.push({ id: `child${i}.${c}`, node: nodes[(i + c) % nodes.length]!.id, owner: `owner${i}` });
  });
  return new MemoryFleet(nodes, workloads);
}

const pools: PoolBudget[] = [{ name: "web", maxUnavailable: "50%" }, { name: "db", minAvailable: 2 }];

function assertWithinBudget(fleet: MemoryFleet, budgets: readonly PoolBudget[]): void {
  for (const view of fleet.observations) {
    for (const pool of budgets) {
      const members = view.nodes.filter((n) => n.pools.includes(pool.name));
      const available = members.filter((n) => isAvailable(pool, n)).length;
      expect(available).toBeGreaterThanOrEqual(Math.min(members.length, resolveBudget(pool, members.length).required));
    }
  }
}

describe("RolloutController", () => {
  it("upgrades every node wave by wave, cordoning each wave whole before it drains", async () => {
    const fleet = smallFleet();
    const ids = fleet.scheduler.placement().map((w) => w.id).sort();
    const { controller, events } = fleet.controller(pools, "2.0.0", { maxParallel: 3 });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result).toMatchObject({ status: "completed", failed: [], blocked: [] });
    expect(result!.upgraded).toHaveLength(7);
    expect([...fleet.nodes.values()].every((n) => n.version === "2.0.0" && n.phase === "active")).toBe(true);
    expect(fleet.scheduler.placement().map((w) => w.id).sort()).toEqual(ids);
    assertWithinBudget(fleet, pools);

    const nodeEvents = events.ofType("rollout-node");
    for (const wave of events.ofType("rollout-wave-started")) {
      const of = nodeEvents.filter((e) => e.wave === wave.wave);
      const lastCordon = of.map((e) => e.phase).lastIndexOf("cordoned");
      const firstDrain = of.map((e) => e.phase).indexOf("draining");
      expect(lastCordon).toBeLessThan(firstDrain);
      expect(of.filter((e) => e.phase === "cordoned")).toHaveLength(wave.nodes.length);
    }
    const draining = nodeEvents.filter((e) => e.phase === "draining");
    expect(draining.every((e) => e.epoch === 1 && e.nodePhase === "draining")).toBe(true);
    const last = events.ofType("rollout-progress").at(-1)!.progress;
    expect(last).toMatchObject({ total: 7, done: 7, failed: 0, remaining: 0, etaMs: 0 });
  });

  it("pauses when failures pass the threshold, and continues on resume", async () => {
    const fleet = smallFleet();
    fleet.failDrainOf.add("web1");
    const { controller, events } = fleet.controller(pools, "2.0.0", { maxParallel: 2, failureThreshold: 0 });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }), () => {
      expect(controller.progress.state).toBe("paused");
      expect(controller.pauseReason).toMatch(/1 node\(s\) failed/);
      controller.resume();
    });
    expect(events.ofType("rollout-paused")).toHaveLength(1);
    expect(result).toMatchObject({ status: "incomplete", failed: [{ node: "web1", reason: expect.stringMatching(/in flight/) }] });
    expect(result!.upgraded).toHaveLength(6);
    const failedEvent = events.ofType("rollout-node").find((e) => e.phase === "failed")!;
    expect(failedEvent.nodePhase).toBe("failed");
    assertWithinBudget(fleet, pools);
  });

  it("aborts: steps under way finish, nothing new starts", async () => {
    const fleet = smallFleet();
    fleet.failDrainOf.add("web0");
    const { controller } = fleet.controller(pools, "2.0.0", { maxParallel: 1 });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }), () => controller.abort());
    expect(result?.status).toBe("aborted");
    expect(result!.upgraded).toEqual([]);
    expect(controller.progress.state).toBe("aborted");
  });

  it("pause and resume from the outside between steps", async () => {
    const fleet = smallFleet();
    const { controller, events } = fleet.controller(pools, "2.0.0", { maxParallel: 2 });
    const running = controller.start({ version: "2.0.0" });
    controller.pause("change freeze");
    const paused = await fleet.settle(running, () => {
      expect(events.ofType("rollout-wave-started")).toHaveLength(0);
      controller.resume();
    });
    expect(paused?.status).toBe("completed");
  });

  it("plugs a NodeDrainCoordinator per node in as the drain hook; a drain past its deadline fails the node", async () => {
    const fleet = new MemoryFleet([fleetNode("a", ["p"]), fleetNode("b", ["p"]), fleetNode("c", ["p"])], []);
    const clock = fleet.clock;
    const coordinators = new Map(
      ["a", "b", "c"].map((id) => {
        const api = createCountingParticipant("api");
        api.begin();
        // b's request never finishes; the others finish 200 ms into their drain.
        if (id !== "b") clock.setTimer(200, () => api.end());
        return [id, new NodeDrainCoordinator({ clock, participants: [api], node: id })] as const;
      }),
    );
    const events = new RecordingEventSink();
    const controller = new RolloutController({
      clock,
      pools: [{ name: "p", maxUnavailable: 1 }],
      fleet: fleet.view,
      hooks: {
        cordon: () => {},
        drain: (id, epoch, deadline) => coordinators.get(id)!.drain({ deadline, epoch, reason: "upgrade" }),
        upgrade: () => {},
        resume: (id) => coordinators.get(id)!.resume(),
        observe: () => ({ version: "2.0.0", live: true, phase: "active", reportedAt: clock.now() }),
      },
      drainTimeoutMs: 1_000,
      failureThreshold: 1,
      retryDelayMs: 5_000,
      events,
    });
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    // b stays quiesced as failed and spends the pool's one unavailable slot, so c must wait: never silent.
    expect(result).toMatchObject({ status: "incomplete", upgraded: ["a"], failed: [{ node: "b" }], blocked: [{ node: "c", reason: "pool-budget" }] });
    expect(result!.failed[0]!.reason).toMatch(/drain failed/);
    expect(coordinators.get("b")!.snapshot().status).toBe("failed");
  });

  it("drains each node under the epoch after the one the fleet view reports", async () => {
    const fleet = new MemoryFleet([fleetNode("a", [], { epoch: 7 }), fleetNode("b", [])], [{ id: "w", node: "a" }]);
    const { controller, events } = fleet.controller([], "2.0.0");
    expect((await fleet.settle(controller.start({ version: "2.0.0" })))?.status).toBe("completed");
    const epochs = events.ofType("rollout-node").filter((e) => e.phase === "draining").map((e) => [e.node, e.epoch]);
    expect(epochs).toEqual([["a", 8], ["b", 1]]);
    expect(fleet.scheduler.status("a")).toBeUndefined(); // resumed
  });

  it("dry run lists the nodes that cannot drain now", async () => {
    const fleet = new MemoryFleet([fleetNode("a", ["solo"]), fleetNode("b", []), fleetNode("c", [])], []);
    const { controller } = fleet.controller([{ name: "solo", minAvailable: 1 }], "2.0.0");
    const plan = await controller.dryRun({ version: "2.0.0" });
    expect(plan.blocked).toMatchObject([{ node: "a", reason: "pool-budget", pool: "solo" }]);
    expect(plan.waves.map((w) => w.nodes)).toEqual([["b"], ["c"]]);
    const result = await fleet.settle(controller.start({ version: "2.0.0" }));
    expect(result).toMatchObject({ status: "incomplete", upgraded: ["b", "c"], blocked: [{ node: "a", reason: "pool-budget" }] });
  });

  it("over random fleets: pools stay within budget, no workload lost, every plannable node upgraded (property)", async () => {
    const arb = fc.integer({ min: 2, max: 9 }).chain((n) =>
      fc.record({
        pools: fc.array(fc.subarray(["a", "b"], { minLength: 1 }), { minLength: n, maxLength: n }),
        a: fc.oneof(fc.record({ maxUnavailable: fc.integer({ min: 1, max: 3 }) }), fc.record({ minAvailable: fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const) })),
        b: fc.oneof(fc.record({ maxUnavailable: fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const) }), fc.record({ minAvailable: fc.integer({ min: 0, max: 4 }) })),
        owners: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 12 }),
        children: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: n - 1 })), { maxLength: 20 }),
        maxParallel: fc.integer({ min: 1, max: 4 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async (sc) => {
        const nodes = sc.pools.map((p, i) => fleetNode(`n${i}`, p));
        const workloads: Workload[] = sc.owners.map((at, i) => ({ id: `o${i}`, node: `n${at}` }));
        if (sc.owners.length > 0) sc.children.forEach(([o, at], i) => workloads.push({ id: `c${i}`, node: `n${at}`, owner: `o${o % sc.owners.length}` }));
        const budgets: PoolBudget[] = [{ name: "a", ...sc.a }, { name: "b", ...sc.b }];
        const fleet = new MemoryFleet(nodes, workloads, 2);
        const { controller } = fleet.controller(budgets, "2.0.0", { maxParallel: sc.maxParallel, retryDelayMs: 1_000, blockedAttempts: 1 });
        const plan = await controller.dryRun({ version: "2.0.0" });
        const result = await fleet.settle(controller.start({ version: "2.0.0" }));
        expect(result).toBeDefined();
        expect(result!.failed).toEqual([]);
        expect(new Set(result!.upgraded)).toEqual(new Set(plan.waves.flatMap((w) => w.nodes)));
        expect(fleet.scheduler.placement().map((w) => w.id).sort()).toEqual(workloads.map((w) => w.id).sort());
        assertWithinBudget(fleet, budgets);
      }),
      fcParams({ numRuns: 60 }),
    );
  });
});
