import { silentLogger, systemClock } from "@drainkit/core";
import { makeMemoryStore, type WorkloadMove } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { afterThisTest, fleet, LEADER, OPS, until } from "../moveFleet.ts";
import { startWorkloadMoves } from "../../src/controllers/workloadMoves.ts";
import { InProcessHosts, ownersAndChildren } from "../../bench/hosts.ts";





describe("the drain scheduler's writes", () => {
  it("persists the moves of one scheduling step in one store transaction (one commit, not one per move)", async () => {
    const store = makeMemoryStore();
    const registry = await fleet(["a", "b", "c"], store);
    // Nobody acts on the moves: only the first step's batch is planned.
    const placing = new InProcessHosts(registry, ["a", "b", "c"]);
    await placing.place("a", ownersAndChildren("", 4, 0));
    placing.close();
    const starts: { id: string; revision: number }[] = [];
    const watch = store.watch("moves/", await store.revision(), (c) => {
      if ((c.value as WorkloadMove | undefined)?.state === "starting") starts.push({ id: c.key, revision: c.revision });
    });
    afterThisTest(() => watch.close());
    const moves = await startWorkloadMoves({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "t1", batchSize: 4, tickMs: 25 });
    afterThisTest(() => moves.stop());

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("four moves to be persisted", () => starts.length, (n) => n === 4);
    expect(new Set(starts.map((s) => s.revision)).size).toBe(1);
    // Still one audit entry per move.
    expect((await registry.queryAudit(OPS, { action: "planMove", limit: 100 })).items).toHaveLength(4);
  });

  it("a move the registry refuses leaves the rest of its step persisted, and its workload is planned again and moved", async () => {
    const registry = await fleet(["a", "b", "c"], makeMemoryStore());
    // Another plan already holds the id the planner will give its second move.
    await registry.planMove(OPS, { id: "t1-m2", workload: "elsewhere", tier: "owner", from: "b", to: "c" });
    const hosts = new InProcessHosts(registry, ["a", "b", "c"]);
    afterThisTest(() => hosts.close());
    const on = ownersAndChildren("", 3, 1);
    await hosts.place("a", on);
    const moves = await startWorkloadMoves({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "t1", batchSize: 3, tickMs: 25 });
    afterThisTest(() => moves.stop());

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
    const persisted = (await registry.listMoves(OPS)).filter((m) => m.drain?.target === "a");
    expect(persisted.map((m) => m.workload).sort()).toEqual(on.map((w) => w.id).sort());
    expect(persisted.every((m) => m.state === "done")).toBe(true);
    expect(persisted.map((m) => m.id)).toContain("t1-m1");
    expect(persisted.map((m) => m.id)).toContain("t1-m3");
    const refused = await registry.queryAudit(OPS, { action: "planMove", limit: 100 });
    expect(refused.items.filter((e) => e.outcome !== "ok" && e.target === "move/t1-m2")).toHaveLength(1);
  });
});
