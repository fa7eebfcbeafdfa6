import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { createRegistry, type Approval, type Principal, type Registry, type RegistryStore } from "@drainkit/registry";
import { makePeer, registerLive } from "@drainkit/registry/testing";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { startApprovalExpiry } from "../../src/controllers/approvalExpiry.ts";

// An approved change survives a crash of the replica that approved it. The
// crash is a store that stops taking writes after the n-th transaction the
// approval makes (the process died there); the registry is then "restarted"
// on the same SQLite file, and the leader's sweep finishes the approval:
// applied exactly once, or failed with the refusal, every step audited.

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const REQUESTER: Principal = { id: "alice", scopes: ["mesh.operate"] };
const APPROVER: Principal = { id: "bob", scopes: ["mesh.operate"] };
const ADMIN: Principal = { id: "root", scopes: ["mesh.admin"] };
const READ: Principal = { id: "reader", scopes: ["mesh.read"] };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Resolves once `predicate` holds, polling on real time (the store's work is real async work). */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The store, dying (every later transaction throws) once `commits` more transactions went through after `arm()`. */
function crashing(store: RegistryStore): { store: RegistryStore; arm(commits: number): void } {
  let left: number | undefined;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === "txn") {
        return async (...args: Parameters<RegistryStore["txn"]>) => {
          if (left !== undefined && left <= 0) throw new Error("the process died");
          const result = await target.txn(...args);
          if (left !== undefined) left--;
          return result;
        };
      }
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: proxy, arm: (commits) => (left = commits) };
}

interface Scenario {
  readonly path: string;
  readonly clock: SimulatedClock;
  readonly open: (store: RegistryStore) => Registry;
}

async function scenario(idempotencyTtlMs?: number): Promise<Scenario> {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-approval-crash-"));
  dirs.push(dir);
  const clock = new SimulatedClock({ start: 1_700_000_000_000 });
  const open = (store: RegistryStore): Registry =>
    createRegistry({ store, clock, random: new SeededRandom(7), pools: [{ name: "web", minAvailable: 2 }], ...(idempotencyTtlMs === undefined ? {} : { idempotencyTtlMs }) });
  return { path: join(dir, "drainkit.db"), clock, open };
}

/**
 * Four live peers in pool web, approvals on: a drain of web-1 is staged by alice,
 * and bob approves it on a replica that dies after `commits` transactions of the approval.
 */
async function approveThenCrash(s: Scenario, commits: number, beforeApproval?: (registry: Registry) => Promise<void>): Promise<string> {
  const sqlite = makeSqliteStore({ path: s.path });
  const { store, arm } = crashing(sqlite);
  const registry = s.open(store);
  try {
    for (const id of ["web-1", "web-2", "web-3", "web-4"]) await registerLive(registry, makePeer({ id, pools: ["web"] }));
    await registry.patchConfig(ADMIN, { "approvals.enabled": true, "approvals.massPercent": 10 }, { confirm: true });
    const staged = await registry.stageIfRequired(REQUESTER, { kind: "drain", peer: "web-1", input: { reason: "disk" } }, { reason: "disk" });
    const id = staged!.value.id;
    await beforeApproval?.(registry);
    arm(commits);
    await expect(registry.approveChange(APPROVER, id, { reason: "lgtm" })).rejects.toMatchObject({ code: expect.stringMatching(/^store-/) });
    return id;
  } finally {
    await sqlite.close();
  }
}

/** The restarted replica: a new registry on the same file, leading, its sweep running. */
async function restartAndSweep(s: Scenario, id: string, until_: (a: Approval) => boolean): Promise<{ registry: Registry; close(): Promise<void> }> {
  const store = makeSqliteStore({ path: s.path });
  const registry = s.open(store);
  const sweep = startApprovalExpiry({ registry, clock: s.clock, principal: LEADER, logger: silentLogger, intervalMs: 1_000 });
  try {
    // Still `approved` after the restart: that is the state the crash left.
    expect((await registry.getApproval(READ, id)).state).toBe("approved");
    // Fresh approvals are their approver's to finish: nothing happens within the grace.
    await s.clock.advanceAsync(2_000);
    expect((await registry.getApproval(READ, id)).state).toBe("approved");
    await s.clock.advanceAsync(5_000);
    await until(async () => until_(await registry.getApproval(READ, id)), "the sweep to settle the approval");
  } catch (e) {
    sweep.stop();
    await store.close();
    throw e;
  }
  return {
    registry,
    close: async () => {
      sweep.stop();
      await store.close();
    },
  };
}

const trail = async (registry: Registry, target: string): Promise<string[]> =>
  (await registry.queryAudit(READ, { target, limit: 1_000 })).items.map((e) => `${e.action}:${e.actor}:${e.outcome}${e.errorCode === undefined ? "" : `:${e.errorCode}`}`);

describe("an approved change survives a crash of the replica that approved it (SQLite file, restarted)", () => {
  it("crash after the approval, before the change: the leader's sweep applies it once, audited", async () => {
    const s = await scenario();
    const id = await approveThenCrash(s, 1);
    const { registry, close } = await restartAndSweep(s, id, (a) => a.state !== "approved");
    try {
      const a = await registry.getApproval(READ, id);
      expect(a).toMatchObject({ state: "applied", decidedBy: "bob" });
      const drains = (await registry.queryAudit(READ, { target: "peer/web-1", action: "drain" })).items;
      expect(drains.map((e) => `${e.actor}:${e.outcome}`)).toEqual(["alice:ok"]);
      expect(a.result?.auditId).toBe(drains[0]!.id);
      expect((await registry.getPeer(READ, "web-1")).peer).toMatchObject({ phase: "draining", epoch: 1 });
      expect(await trail(registry, `approval/${id}`)).toEqual(["requestApproval:alice:ok", "approveChange:bob:ok", "applyChange:control-plane:ok"]);
      // Later sweeps find nothing to do: applied exactly once.
      await s.clock.advanceAsync(3_000);
      expect((await registry.getPeer(READ, "web-1")).peer.epoch).toBe(1);
      expect(await trail(registry, `approval/${id}`)).toHaveLength(3);
      expect(await registry.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await close();
    }
  });

  it("crash after the change, before the approval said so: the sweep replays the change (not applied twice) and settles it", async () => {
    const s = await scenario();
    const id = await approveThenCrash(s, 2);
    const { registry, close } = await restartAndSweep(s, id, (a) => a.state !== "approved");
    try {
      const a = await registry.getApproval(READ, id);
      expect(a.state).toBe("applied");
      const drains = (await registry.queryAudit(READ, { target: "peer/web-1", action: "drain" })).items;
      expect(drains.map((e) => `${e.actor}:${e.outcome}`)).toEqual(["alice:ok"]);
      expect(a.result?.auditId).toBe(drains[0]!.id);
      expect((await registry.getPeer(READ, "web-1")).peer.epoch).toBe(1);
      expect(await trail(registry, `approval/${id}`)).toEqual(["requestApproval:alice:ok", "approveChange:bob:ok", "applyChange:control-plane:ok"]);
    } finally {
      await close();
    }
  });

  it("re-checks the guard at the sweep: a change the pool can no longer take ends failed with the refusal, audited", async () => {
    const s = await scenario();
    const id = await approveThenCrash(s, 1);
    // While the replica was down, two other drains took what the pool had to spare.
    {
      const store = makeSqliteStore({ path: s.path });
      const registry = s.open(store);
      await registry.drain(REQUESTER, "web-2", { reason: "other" });
      await registry.drain(REQUESTER, "web-3", { reason: "other" });
      await store.close();
    }
    const { registry, close } = await restartAndSweep(s, id, (a) => a.state !== "approved");
    try {
      expect(await registry.getApproval(READ, id)).toMatchObject({ state: "failed", result: { errorCode: "pool-depletion" } });
      expect((await registry.getPeer(READ, "web-1")).peer.epoch).toBe(0);
      expect(await trail(registry, "peer/web-1")).toContain("drain:alice:refused:pool-depletion");
      expect(await trail(registry, `approval/${id}`)).toEqual(["requestApproval:alice:ok", "approveChange:bob:ok", "applyChange:control-plane:ok"]);
    } finally {
      await close();
    }
  });

  it("an approval older than the idempotency window cannot be told applied or not: it fails, never applied twice", async () => {
    const s = await scenario(3_000);
    const id = await approveThenCrash(s, 1);
    const { registry, close } = await restartAndSweep(s, id, (a) => a.state !== "approved");
    try {
      const a = await registry.getApproval(READ, id);
      expect(a).toMatchObject({ state: "failed", result: { errorCode: "approval-expired" } });
      expect(a.result?.message).toContain(`approval/${id}`);
      expect((await registry.getPeer(READ, "web-1")).peer.epoch).toBe(0);
      expect(await trail(registry, `approval/${id}`)).toEqual(["requestApproval:alice:ok", "approveChange:bob:ok", "applyChange:control-plane:ok"]);
    } finally {
      await close();
    }
  });

  it("refuses, audited, a sweep by a principal without mesh.operate", async () => {
    const s = await scenario();
    const store = makeSqliteStore({ path: s.path });
    try {
      const registry = s.open(store);
      await expect(registry.applyApprovedChanges(READ)).rejects.toMatchObject({ code: "forbidden" });
      expect((await registry.queryAudit(READ, { action: "applyApprovedChanges" })).items.map((e) => `${e.actor}:${e.outcome}`)).toEqual(["reader:refused"]);
      // Allowed with nothing due: nothing written.
      expect(await registry.applyApprovedChanges(LEADER)).toEqual({ applied: [], failed: [] });
      expect((await registry.queryAudit(READ, { action: "applyApprovedChanges" })).items).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
