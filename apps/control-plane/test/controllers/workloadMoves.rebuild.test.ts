import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger, systemClock } from "@drainkit/core";
import type { Registry } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { afterThisTest, fleet, LEADER, OPS, until } from "../moveFleet.ts";
import { startWorkloadMoves, superviseWorkloadMoves } from "../../src/controllers/workloadMoves.ts";
import { InProcessHosts, ownersAndChildren } from "../../bench/hosts.ts";




describe("the drain scheduler's rebuild", () => {
  it("starts, and then moves work, when agents report while it reads the registry (changes buffered during the rebuild)", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const hosts = new InProcessHosts(registry, ["a", "b", "c"]);
    afterThisTest(() => hosts.close());
    const on = ownersAndChildren("", 2, 1);
    // The agent of a reports its workloads just as the new leader lists the moves: after its watch opened, before it is ready.
    const racing: Registry = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === "listMoves") {
          return async (...args: Parameters<Registry["listMoves"]>) => {
            await hosts.place("a", on);
            return target.listMoves(...args);
          };
        }
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const moves = await startWorkloadMoves({ registry: racing, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "t1", batchSize: 2, tickMs: 25 });
    afterThisTest(() => moves.stop());
    await until("the report to reach the planner", () => moves.placement().size, (n) => n === on.length);

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
  });

  it("is restarted from the store when its change feed breaks, adopts its own moves in flight, and finishes the drain", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const placing = new InProcessHosts(registry, ["a", "b", "c"]);
    const on = ownersAndChildren("", 3, 1);
    await placing.place("a", on);
    // The hosts are cut off for now: the first moves stay in flight.
    placing.close();
    // The first feed the planner opens breaks while those moves are in flight, as a compacted history would.
    let feeds = 0;
    let breakFeed: ((e: Error) => void) | undefined;
    const flaky: Registry = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === "watchAll") {
          return (from: number, onChange: Parameters<Registry["watchAll"]>[1], onError?: (e: Error) => void) => {
            if (++feeds === 1) breakFeed = onError;
            return target.watchAll(from, onChange, onError);
          };
        }
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_f: unknown, msg?: string) => void warnings.push(msg ?? ""), error: () => {} };
    const moves = await superviseWorkloadMoves({ registry: flaky, clock: systemClock(), principal: LEADER, logger, term: "t1", batchSize: 2, tickMs: 25, restartDelayMs: 20 });
    afterThisTest(() => moves.stop());
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    const first = await until("the first moves", () => registry.listMoves(OPS, { state: "starting" }), (l) => l.length === 2);
    breakFeed!(new Error("history compacted"));
    // The next incarnation reads the store again and adopts both moves.
    await until("the planner to restart", () => moves.inFlight().map((m) => m.id).sort(), (ids) => feeds >= 2 && ids.join() === first.map((m) => m.id).sort().join());
    expect(warnings).toContain("controller lost its change feed; restarting it from the store");

    const hosts = new InProcessHosts(registry, ["a", "b", "c"], { held: placing.held });
    afterThisTest(() => hosts.close());
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
    const all = await registry.listMoves(OPS);
    expect(all.filter((m) => m.state === "done")).toHaveLength(on.length);
    expect(new Set(all.map((m) => m.workload)).size).toBe(on.length);
    expect(all.filter((m) => m.state === "failed")).toEqual([]);
  });

  it("a new leader trusts a move newer than a host's last report: a workload that just moved is not moved again", async () => {
    const registry = await fleet(["a", "b", "c"]);
    // Hosts report moves' placement changes only on a (long) heartbeat, as agents do: a's report still lists everything.
    const hosts = new InProcessHosts(registry, ["a", "b", "c"], { heartbeatMs: 600_000 });
    afterThisTest(() => hosts.close());
    const on = ownersAndChildren("", 2, 1);
    await hosts.place("a", on);
    const first = await startWorkloadMoves({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "t1", batchSize: 2, tickMs: 25 });
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("every move done", () => registry.listMoves(OPS, { state: "done" }), (l) => l.length === on.length);
    first.stop();
    expect((await registry.getPlacement(OPS, "a")).items).toHaveLength(on.length);

    const second = await startWorkloadMoves({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "t2", batchSize: 2, tickMs: 25 });
    afterThisTest(() => second.stop());
    // The new leader places each workload where its move put it, not on a.
    await until("the rebuilt placement", () => second.placement(), (p) => p.size === on.length);
    for (const w of on) expect(second.placement().get(w.id)).not.toBe("a");
    await sleep(200);
    expect(await registry.listMoves(OPS)).toHaveLength(on.length);
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
  });
});
