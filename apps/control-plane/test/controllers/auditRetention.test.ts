import { silentLogger } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { auditSignerFromKey, createRegistry, makeMemoryStore, type Principal, type RegistryStore } from "@drainkit/registry";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { retentionFrom, startAuditRetention } from "../../src/controllers/auditRetention.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };
const READ: Principal = { id: "reader", scopes: ["mesh.read"] };
const DAY = 86_400_000;

/** Resolves once `predicate` holds, polling on real time (the registry's store work is real async work). */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("retentionFrom", () => {
  it("keeps everything at 0/0, and turns days and counts into a retention", () => {
    expect(retentionFrom({ "audit.retentionDays": 0, "audit.maxEntries": 0 }, 10 * DAY)).toBeUndefined();
    expect(retentionFrom({ "audit.retentionDays": 3 }, 10 * DAY)).toEqual({ before: 7 * DAY });
    expect(retentionFrom({ "audit.maxEntries": 1_000 }, 0)).toEqual({ keepEntries: 1_000, minBatch: 50 });
    expect(retentionFrom({ "audit.maxEntries": 5 }, 0)).toEqual({ keepEntries: 5, minBatch: 2 });
  });
});

const stores: [string, () => { store: RegistryStore; done: () => void }][] = [
  ["memory", () => ({ store: makeMemoryStore(), done: () => {} })],
  [
    "sqlite",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "dk-retention-"));
      const store = makeSqliteStore({ path: join(dir, "drainkit.db") });
      return { store, done: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

describe.each(stores)("startAuditRetention on %s", (_name, open) => {
  it("applies audit.retentionDays and audit.maxEntries from the config, checkpointing (signed) what it prunes", async () => {
    const { store, done } = open();
    const clock = new SimulatedClock({ start: 100 * DAY });
    const registry = createRegistry({ store, clock, random: new SeededRandom(3), auditSigner: auditSignerFromKey("s".repeat(40)) });
    const retention = startAuditRetention({ registry, clock, principal: LEADER, logger: silentLogger, intervalMs: 60_000 });
    try {
      await registry.registerPeer(OPS, { id: "web-1", address: "web-1:80", pools: ["web"], roles: ["edge"] });
      for (let i = 0; i < 30; i++) await registry.cordon(OPS, "web-1", { reason: `r${i}` }, { idempotencyKey: `k${i}` }).then(() => registry.uncordon(OPS, "web-1"));
      // Nothing set: a round prunes nothing and writes nothing.
      const before = await registry.auditHead(READ);
      await clock.advanceAsync(60_000);
      expect(await registry.auditHead(READ)).toEqual(before);

      await registry.patchConfig(LEADER, { "audit.maxEntries": 20 }, { confirm: true, reason: "bounded storage" });
      await clock.advanceAsync(60_000);
      await until(async () => (await registry.auditHead(READ)).checkpoint !== undefined, "the first prune");
      await until(async () => (await registry.queryAudit(READ, { limit: 1_000 })).items.length <= 22, "retention to settle");
      const head = await registry.auditHead(READ);
      expect(head.checkpoint).toMatchObject({ alg: "hmac-sha256" });
      expect((await registry.queryAudit(READ, { limit: 1 })).items[0]!.seq).toBe(head.checkpoint!.seq + 1);
      expect(await registry.verifyAudit()).toMatchObject({ ok: true, from: head.checkpoint!.seq });

      // Age: everything older than a day goes (the newest entry, the head, always stays).
      await registry.patchConfig(LEADER, { "audit.maxEntries": 0, "audit.retentionDays": 1 }, { confirm: true, reason: "age instead" });
      clock.advance(2 * DAY);
      await registry.cordon(OPS, "web-1", { reason: "fresh" });
      await clock.advanceAsync(60_000);
      await until(async () => (await registry.queryAudit(READ, { limit: 1_000 })).items.every((e) => e.at >= clock.now() - DAY), "old entries to go");
      expect((await registry.queryAudit(READ, { limit: 1_000 })).items.map((e) => e.action)).toEqual(["cordon", "pruneAudit"]);
      expect(await registry.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      retention.stop();
      await store.close();
      done();
    }
  });
});
