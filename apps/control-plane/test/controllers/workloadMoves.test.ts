import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { silentLogger, systemClock } from "@drainkit/core";
import type { PlacedWorkload, Registry } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { startWorkloadMoves } from "../../src/controllers/workloadMoves.ts";
import { InProcessHosts, ownersAndChildren } from "../../bench/hosts.ts";
import { afterThisTest, fleet, LEADER, OPS, planner, until } from "../moveFleet.ts";

/** Hosts that play the agents (make before break); `refuse` hosts fail every start. */
const hostsOf = (registry: Registry, ids: readonly string[], refuse: ReadonlySet<string> = new Set(), held?: InProcessHosts["held"]): InProcessHosts =>
  new InProcessHosts(registry, ids, { refuse, ...(held === undefined ? {} : { held }) });


describe("the leader's drain scheduler", () => {
  it("moves every workload off a draining peer, owners before children, make before break, each exactly once", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const hosts = hostsOf(registry, ["a", "b", "c"]);
    afterThisTest(() => hosts.close());
    const on = ownersAndChildren("", 4, 2);
    await hosts.place("a", on);
    await hosts.place("b", [{ id: "x" }]);
    await planner(registry, "t1");

    await registry.drain(OPS, "a", { reason: "kernel upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);

    // Every workload is on exactly one host, and never was on none.
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
    expect(hosts.holders("x")).toEqual(["b"]);
    expect(hosts.gaps).toEqual([]);
    // Owners first: no child started anywhere before the last owner stopped on a.
    const lastOwnerStop = hosts.steps.findLastIndex((s) => s.action === "stop" && s.tier === "owner");
    const firstChildStart = hosts.steps.findIndex((s) => s.action === "start" && s.tier === "child");
    expect(firstChildStart).toBeGreaterThan(lastOwnerStop);
    // Children follow their owner.
    for (const w of on.filter((x) => x.owner !== undefined)) expect(hosts.holders(w.id)).toEqual(hosts.holders(w.owner!));
    // Each workload moved once, and every move is persisted, done, and audited.
    const moves = await registry.listMoves(OPS);
    expect(moves.map((m) => m.workload).sort()).toEqual(on.map((w) => w.id).sort());
    expect(moves.every((m) => m.state === "done" && m.from === "a" && m.drain?.target === "a")).toBe(true);
    const audit = await registry.queryAudit(OPS, { action: "planMove", limit: 100 });
    expect(audit.items).toHaveLength(on.length);
    // The registry sees the drained host as empty.
    await until("a's report to show no workloads", async () => (await registry.getPeer(OPS, "a")).peer.status?.workloads, (w) => w?.owners === 0 && w.children === 0);
  });

  it("moves nothing onto a cordoned or draining peer, and retries a failed start elsewhere", async () => {
    const registry = await fleet(["a", "b", "c", "d"]);
    const hosts = hostsOf(registry, ["a", "b", "c", "d"], new Set(["b"]));
    afterThisTest(() => hosts.close());
    await hosts.place("a", ownersAndChildren("", 3, 1));
    await registry.cordon(OPS, "c", { reason: "bad disk" });
    await planner(registry, "t1");
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    expect(hosts.held.get("d")!.size).toBe(6);
    expect(hosts.held.get("c")!.size).toBe(0);
    const moves = await registry.listMoves(OPS);
    expect(moves.filter((m) => m.to === "b").every((m) => m.state === "failed" && m.reason === "disk full")).toBe(true);
    expect(moves.filter((m) => m.to === "c")).toEqual([]);
  });

  it("a new leader adopts the moves in flight and finishes the drain: nothing moved twice, nothing lost", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const hosts = hostsOf(registry, ["a", "b", "c"]);
    const on = ownersAndChildren("", 3, 1);
    await hosts.place("a", on);
    // The first leader plans moves, but the hosts are cut off: nobody acts on them.
    hosts.close();
    const first = await planner(registry, "t1", { moveTimeoutMs: 600_000 });
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("moves to be planned", () => first.inFlight().length, (n) => n === 3);
    const handedOn = first.inFlight().map((m) => m.id).sort();
    first.stop();

    // A second leader takes over and adopts the three moves in flight.
    const second = await planner(registry, "t2");
    expect(second.inFlight().map((m) => m.id).sort()).toEqual(handedOn);
    // The hosts reconnect and replay the feed from the start: they carry out the adopted moves.
    const back = hostsOf(registry, ["a", "b", "c"], new Set(), hosts.held);
    afterThisTest(() => back.close());
    await until("a to be empty", () => back.held.get("a")!.size, (n) => n === 0);
    for (const w of on) expect(back.holders(w.id)).toHaveLength(1);
    const moves = await registry.listMoves(OPS);
    expect(moves.filter((m) => m.state === "done")).toHaveLength(on.length);
    expect(moves.filter((m) => m.state === "failed")).toEqual([]);
    expect(new Set(moves.map((m) => m.workload)).size).toBe(on.length);
  });

  it("records a drain whose workloads have nowhere to go as stalled, with the reason and the workloads, and clears it once they can move", async () => {
    const registry = await fleet(["db-1"]);
    await registry.registerPeer(OPS, { id: "web-1", address: "web-1:80", pools: ["web"], roles: ["storage"] });
    const hosts = hostsOf(registry, ["db-1", "db-2", "web-1"]);
    afterThisTest(() => hosts.close());
    await hosts.place("db-1", ownersAndChildren("", 2, 0));
    await planner(registry, "t1");
    // db-1 is its pool's only member: only a forced drain (an admin's, with a reason) takes it.
    await registry.drain(LEADER, "db-1", { reason: "disk", deadlineMs: 60_000, force: true }, { confirm: true });
    // web-1 is emptier, but in another pool: nothing moves, and the drain says why.
    const stalled = await until("the drain to read as stalled", () => registry.drainStatus(OPS, "db-1"), (d) => d.reason !== undefined);
    expect(stalled).toMatchObject({ status: "draining", reason: "no schedulable node in pool p can take the remaining workloads" });
    expect(stalled.blocking).toContain("workload:o0");
    expect(await registry.listMoves(OPS)).toEqual([]);

    // A peer of the pool joins: the workloads move, and the stall is cleared.
    await registry.registerPeer(OPS, { id: "db-2", address: "db-2:80", pools: ["p"], roles: ["storage"] });
    await until("db-1 to be empty", () => hosts.held.get("db-1")!.size, (n) => n === 0);
    expect(hosts.held.get("db-2")!.size).toBe(2);
    await until("the stall to clear", () => registry.drainStatus(OPS, "db-1"), (d) => d.reason === undefined);
    const audit = await registry.queryAudit(OPS, { action: "drainStalled", limit: 100 });
    expect(audit.items.map((e) => [e.actor, e.outcome])).toEqual([["control-plane", "ok"], ["control-plane", "ok"]]);
  });

  it("deletes finished moves once they are past the retention, auditing each prune", async () => {
    const registry = await fleet(["a", "b"]);
    const hosts = hostsOf(registry, ["a", "b"]);
    afterThisTest(() => hosts.close());
    await hosts.place("a", ownersAndChildren("", 2, 0));
    await planner(registry, "t1", { tickMs: 20, retainMs: 200 });
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    await until("the finished moves to be pruned", () => registry.listMoves(OPS), (l) => l.length === 0);
    const audit = await registry.queryAudit(OPS, { action: "pruneMoves", limit: 100 });
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items.every((e) => e.outcome === "ok" && e.actor === "control-plane")).toBe(true);
  });

  it("property: random fleets, workloads and drains; every workload stays on exactly one host and drained hosts end empty", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            owners: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: 2 })), { maxLength: 8 }),
            drain: fc.integer({ min: 0, max: n - 1 }),
            refuse: fc.option(fc.integer({ min: 0, max: n - 1 }), { nil: undefined }),
          }),
        ),
        async (sc) => {
          const ids = Array.from({ length: sc.n }, (_, i) => `h${i}`);
          const registry = await fleet(ids);
          const target = ids[sc.drain]!;
          const refuse = sc.refuse === undefined || ids[sc.refuse] === target ? new Set<string>() : new Set([ids[sc.refuse]!]);
          const hosts = hostsOf(registry, ids, refuse);
          const all: PlacedWorkload[] = [];
          for (const [i, [at, kids]] of sc.owners.entries()) {
            const ws = ownersAndChildren(`w${i}`, 1, kids);
            all.push(...ws);
            await hosts.place(ids[at]!, ws);
          }
          const p = await startWorkloadMoves({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "p", batchSize: 2, tickMs: 10 });
          try {
            const takers = ids.filter((h) => h !== target && !refuse.has(h));
            await registry.drain(OPS, target, { reason: "prop", deadlineMs: 60_000 });
            // With nobody to take them, the workloads stay where they are.
            if (takers.length > 0) await until("target to be empty", () => hosts.held.get(target)!.size, (size) => size === 0);
            else await sleep(100);
            for (const w of all) expect(hosts.holders(w.id)).toHaveLength(1);
            expect(hosts.gaps).toEqual([]);
          } finally {
            p.stop();
            hosts.close();
          }
        },
      ),
      fcParams({ numRuns: 100 }),
    );
  });
});
