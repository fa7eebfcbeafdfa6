import { silentLogger } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, createRegistry, type Principal } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { startIdempotencySweep } from "../../src/controllers/idempotencySweep.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };
const READ: Principal = { id: "reader", scopes: ["mesh.read"] };
const TTL = 1_000;

/** Resolves once `predicate` holds, polling on real time (the registry's store work is real async work). */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("startIdempotencySweep", () => {
  it("deletes every expired idempotency record in batches, keeps live ones, and audits each batch once", async () => {
    const clock = new SimulatedClock({ start: 10_000 });
    const store = makeMemoryStore();
    const registry = createRegistry({ store, clock, random: new SeededRandom(1), idempotencyTtlMs: TTL });
    await registry.registerPeer(OPS, { id: "web-1", address: "web-1:80", pools: ["web"], roles: ["edge"] });
    await Promise.all(Array.from({ length: 65 }, (_, i) => registry.cordon(OPS, "web-1", { reason: "kernel" }, { idempotencyKey: `old-${i}` })));
    clock.advance(TTL);
    await registry.uncordon(OPS, "web-1", {}, { idempotencyKey: "live" });

    const sweeper = startIdempotencySweep({ registry, clock, principal: LEADER, logger: silentLogger, intervalMs: 60_000 });
    try {
      await clock.advanceAsync(0);
      await until(async () => (await store.list("idem/")).items.length === 1, "the expired records to go");
      expect((await store.list("idem/")).items.map((i) => i.key)).toEqual(["idem/ops/live"]);
      const sweeps = (await registry.queryAudit(READ, { target: "idempotency" })).items;
      expect(sweeps.map((e) => `${e.actor}:${e.action}:${e.outcome}`)).toEqual(Array(3).fill("control-plane:sweepIdempotency:ok"));

      // The next round, a minute later, finds the live record expired too; an idle round after that writes nothing.
      await clock.advanceAsync(60_000);
      await until(async () => (await store.list("idem/")).items.length === 0, "the last record to expire and go");
      await clock.advanceAsync(60_000);
      const revision = await store.revision();
      await clock.advanceAsync(60_000);
      expect(await store.revision()).toBe(revision);
      expect((await registry.queryAudit(READ, { target: "idempotency" })).items).toHaveLength(4);
    } finally {
      sweeper.stop();
    }
    expect(clock.nextTimerAt()).toBeUndefined();
  });
});
