import { silentLogger } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, createRegistry, type Principal } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { startApprovalExpiry } from "../../src/controllers/approvalExpiry.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const ADMIN: Principal = { id: "alice", scopes: ["mesh.admin"] };
const READ: Principal = { id: "reader", scopes: ["mesh.read"] };

/** Resolves once `predicate` holds, polling on real time (the registry's store work is real async work). */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("startApprovalExpiry", () => {
  it("expires pending changes once the injected clock passes their expiry, audited as the leader; idle rounds write nothing", async () => {
    const clock = new SimulatedClock({ start: 50_000 });
    const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(1) });
    await registry.patchConfig(ADMIN, { "approvals.enabled": true, "approvals.ttlMs": 10_000 }, { confirm: true });
    const staged = await registry.stageIfRequired(ADMIN, { kind: "patchConfig", patch: { "maintenance.freeze": true } }, { confirm: true, reason: "freeze" });
    const id = staged!.value.id;

    const expiry = startApprovalExpiry({ registry, clock, principal: LEADER, logger: silentLogger, intervalMs: 5_000 });
    try {
      await clock.advanceAsync(5_000);
      expect((await registry.getApproval(READ, id)).state).toBe("pending");
      await clock.advanceAsync(5_000);
      await until(async () => (await registry.getApproval(READ, id)).state === "expired", "the approval to expire");
      await clock.advanceAsync(15_000);
      const entries = (await registry.queryAudit(READ, { action: "expireApprovals" })).items;
      expect(entries.map((e) => `${e.actor}:${e.outcome}`)).toEqual(["control-plane:ok"]);
    } finally {
      expiry.stop();
    }
  });
});
