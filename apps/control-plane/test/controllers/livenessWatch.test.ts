import { silentLogger } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, createRegistry, type Principal, type RegistryChange } from "@drainkit/registry";
import { makePeer, principals, registerLive } from "@drainkit/registry/testing";
import { describe, expect, it } from "vitest";
import { startLivenessWatch } from "../../src/controllers/livenessWatch.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const READ: Principal = { id: "reader", scopes: ["mesh.read"] };

/** Resolves once `predicate` holds, polling on real time (the registry's store work is real async work). */
async function until(predicate: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("startLivenessWatch", () => {
  it("puts a peer's going silent on the feed and in the audit once, when it passes the configured window, and not before", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const store = makeMemoryStore();
    const registry = createRegistry({ store, clock, random: new SeededRandom(1) });
    await registry.patchConfig(principals.admin, { "heartbeat.staleAfterMs": 10_000 }, { confirm: true });
    for (const id of ["web-1", "web-2"]) await registerLive(registry, makePeer({ id, pools: ["web"] }));
    // web-3 never reports: it is unknown from the start and has no silence to record.
    await registry.registerPeer(principals.operator, makePeer({ id: "web-3", pools: ["web"] }));
    const feed: RegistryChange[] = [];
    const watch = registry.watch(await store.revision(), (c) => feed.push(c));
    const controller = await startLivenessWatch({ registry, clock, principal: LEADER, logger: silentLogger, intervalMs: 1_000 });
    const peerEvents = (id: string) => feed.filter((c) => c.kind === "peer" && c.id === id).map((c) => (c.value as { liveness?: string; silentSince?: number }));
    try {
      // web-1 keeps reporting every 5 s; web-2 stops after its first report.
      for (let t = 0; t < 4; t++) {
        await clock.advanceAsync(5_000);
        await registry.reportStatus(principals.agent("web-1"), "web-1", { roles: {}, epoch: 0 });
      }
      await until(async () => (await registry.getPeer(READ, "web-2")).peer.silentSince !== undefined, "web-2 marked silent");
      const silent = (await registry.getPeer(READ, "web-2")).peer;
      expect(silent.liveness).toBe("unknown");
      // Marked after the window (10 s) passed, not before: the report was at 1,000,000.
      expect(silent.silentSince! - silent.status!.heartbeatAt).toBeGreaterThan(10_000);
      await clock.advanceAsync(20_000);
      await registry.reportStatus(principals.agent("web-1"), "web-1", { roles: {}, epoch: 0 });
      await until(() => controller.watched() === 1, "web-1 still watched");
      const marks = (await registry.queryAudit(READ, { action: "peerSilent" })).items;
      // web-2 once; web-1 went silent too while the clock jumped 20 s with no report, once; web-3 never.
      expect(marks.map((e) => `${e.target}:${e.outcome}:${e.actor}`).sort()).toEqual(["peer/web-1:ok:control-plane", "peer/web-2:ok:control-plane"]);
      expect(peerEvents("web-2").at(-1)).toMatchObject({ liveness: "unknown", silentSince: silent.silentSince });
      expect(peerEvents("web-3")).toEqual([]);
      // web-1 reported again: live, and the silence mark no longer shows.
      const back = (await registry.getPeer(READ, "web-1")).peer;
      expect(back.liveness).toBe("live");
      expect(back.silentSince).toBeUndefined();
    } finally {
      controller.stop();
      watch.close();
    }
  });

  it("a new leader marks a silence the old one had not, and never one already marked", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(2) });
    await registry.patchConfig(principals.admin, { "heartbeat.staleAfterMs": 10_000 }, { confirm: true });
    for (const id of ["a-1", "a-2"]) await registerLive(registry, makePeer({ id, pools: ["a"] }));
    const first = await startLivenessWatch({ registry, clock, principal: LEADER, logger: silentLogger, intervalMs: 1_000 });
    await clock.advanceAsync(12_000);
    await until(async () => (await registry.queryAudit(READ, { action: "peerSilent" })).items.length === 2, "both marked");
    first.stop();
    await registry.reportStatus(principals.agent("a-1"), "a-1", { roles: {}, epoch: 0 });
    await clock.advanceAsync(12_000);
    // The old leader is gone before a-1's new silence; the new one marks it, and leaves a-2 (already marked) alone.
    const second = await startLivenessWatch({ registry, clock, principal: LEADER, logger: silentLogger, intervalMs: 1_000 });
    try {
      await clock.advanceAsync(1_000);
      await until(async () => (await registry.queryAudit(READ, { action: "peerSilent" })).items.length === 3, "a-1 marked again");
      await clock.advanceAsync(5_000);
      const marks = (await registry.queryAudit(READ, { action: "peerSilent" })).items;
      expect(marks.map((e) => e.target).sort()).toEqual(["peer/a-1", "peer/a-1", "peer/a-2"]);
    } finally {
      second.stop();
    }
  });
});
