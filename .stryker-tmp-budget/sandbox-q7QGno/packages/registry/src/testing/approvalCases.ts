// @ts-nocheck
import { isDrainkitError, SeededRandom } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createRegistry } from "../createRegistry.ts";
import type { RegistryStore } from "../store.ts";
import type { Approval, ApprovalChange, AuditEntry, Principal, Registry } from "../types.ts";
import type { StoreUnderTest } from "./StoreUnderTest.ts";
import { makePeer, principals, registerLive } from "./fixtures.ts";

type WithStore = (body: (s: StoreUnderTest) => Promise<void>) => () => Promise<void>;

const { operator, admin, reader } = principals;
const second: Principal = principals.operatorNamed("ops-2");
const admin2: Principal = { id: "admin-2", scopes: ["mesh.admin"] };

async function setup(store: RegistryStore, settings: Record<string, unknown> = {}): Promise<{ registry: Registry; clock: SimulatedClock }> {
  const clock = new SimulatedClock({ start: 1_700_000_000_000 });
  const registry = createRegistry({
    store,
    clock,
    random: new SeededRandom(3),
    pools: [{ name: "web", minAvailable: 2 }],
    clusters: [
      { id: "eu", role: "active" },
      { id: "us", role: "active" },
    ],
  });
  for (const id of ["web-1", "web-2", "web-3", "web-4"]) await registerLive(registry, makePeer({ id, pools: ["web"] }));
  await registry.patchConfig(admin, { "approvals.enabled": true, "approvals.massPercent": 50, "approvals.massPeers": 5, ...settings }, { confirm: true });
  return { registry, clock };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isDrainkitError(e)) return e.code;
    throw e;
  }
}

async function auditOf(registry: Registry, target: string): Promise<readonly AuditEntry[]> {
  return (await registry.queryAudit(reader, { target, limit: 1_000 })).items;
}

/** Staged approvals over a store: who may approve, exactly-once apply, the guard at approval time, expiry. */
export function approvalConformanceCases(withStore: WithStore, options: { timeout: number }): void {
  const { timeout } = options;
  describe("staged approvals", () => {
    it("stages nothing while approvals are disabled, or for a change below the thresholds", withStore(async ({ store }) => {
      const { registry } = await setup(store, { "approvals.enabled": false });
      expect(await registry.stageIfRequired(operator, { kind: "patchConfig", patch: { "rollout.maxParallel": 2 } }, { confirm: true })).toBeUndefined();
      await registry.patchConfig(admin, { "approvals.enabled": true }, { confirm: true });
      // 1 and then 2 of 4 out: 25 %, 50 %, not more than 50 %.
      expect(await registry.stageIfRequired(operator, { kind: "cordon", peer: "web-1", input: { reason: "kernel" } }, { reason: "kernel" })).toBeUndefined();
      await registry.cordon(operator, "web-1", { reason: "kernel" });
      expect(await registry.stageIfRequired(operator, { kind: "cordon", peer: "web-2", input: { reason: "kernel" } }, { reason: "kernel" })).toBeUndefined();
      // A change the requester could not make (no confirm) is the verb's to refuse.
      expect(await registry.stageIfRequired(admin, { kind: "demote", cluster: "us" }, {})).toBeUndefined();
      expect(await registry.stageIfRequired(operator, { kind: "cordon", peer: "nope", input: { reason: "x" } }, {})).toBeUndefined();
    }), timeout);

    it("stages a mass cordon; the requester cannot approve it; a second operator applies it exactly once", withStore(async ({ store }) => {
      const { registry } = await setup(store, { "approvals.massPercent": 25 });
      await registry.cordon(operator, "web-1", { reason: "kernel" });
      const staged = await registry.stageIfRequired(operator, { kind: "cordon", peer: "web-2", input: { reason: "kernel" } }, { reason: "kernel", idempotencyKey: "k-3" });
      expect(staged?.value).toMatchObject({ state: "pending", requiredScope: "mesh.operate", requestedBy: { id: "operator" }, change: { kind: "cordon", peer: "web-2" } });
      expect(staged?.value.reasons.join()).toContain("2 of 4 peers (50%)");
      const id = staged!.value.id;
      // The same request again names the same approval.
      const again = await registry.stageIfRequired(operator, { kind: "cordon", peer: "web-2", input: { reason: "kernel" } }, { reason: "kernel", idempotencyKey: "k-3" });
      expect(again?.value.id).toBe(id);
      expect((await registry.getPeer(reader, "web-2")).peer.phase).toBe("active");

      expect(await codeOf(registry.approveChange(operator, id, { reason: "lgtm" }))).toBe("approval-self");
      expect(await codeOf(registry.approveChange(reader, id, { reason: "lgtm" }))).toBe("forbidden");
      expect(await codeOf(registry.approveChange(second, id, {}))).toBe("validation");
      expect(await codeOf(registry.approveChange(second, "ap-unknown", { reason: "lgtm" }))).toBe("not-found");

      const done = await registry.approveChange(second, id, { reason: "lgtm", idempotencyKey: "approve-1" });
      expect(done.value).toMatchObject({ state: "applied", decidedBy: "ops-2", decisionReason: "lgtm" });
      expect(done.value.result?.auditId).toBeTruthy();
      const peer = (await registry.getPeer(reader, "web-2")).peer;
      expect(peer.spec.cordons["operator"]?.reason).toBe("kernel");
      // A retry of the approval (same key) applies nothing twice.
      const retry = await registry.approveChange(second, id, { reason: "lgtm", idempotencyKey: "approve-1" });
      expect(retry.value.state).toBe("applied");
      expect(await codeOf(registry.approveChange(admin, id, { reason: "again" }))).toBe("approval-not-pending");
      expect((await auditOf(registry, "peer/web-2")).filter((e) => e.action === "cordon" && e.outcome === "ok")).toHaveLength(1);
      const steps = (await auditOf(registry, `approval/${id}`)).map((e) => `${e.action}:${e.actor}:${e.outcome}`);
      expect(steps).toEqual(
        expect.arrayContaining(["requestApproval:operator:ok", "approveChange:operator:refused", "approveChange:reader:refused", "approveChange:ops-2:ok", "applyChange:ops-2:ok"]),
      );
    }), timeout);

    it("applies once when two approvers race", withStore(async ({ store }) => {
      const { registry } = await setup(store, { "approvals.massPercent": 10 });
      const staged = await registry.stageIfRequired(operator, { kind: "drain", peer: "web-1", input: { reason: "disk" } }, { reason: "disk" });
      const id = staged!.value.id;
      const results = await Promise.allSettled([registry.approveChange(second, id, { reason: "a" }), registry.approveChange(admin, id, { reason: "b" })]);
      expect(results.some((r) => r.status === "fulfilled")).toBe(true);
      expect((await registry.getApproval(reader, id)).state).toBe("applied");
      expect((await registry.getPeer(reader, "web-1")).peer.epoch).toBe(1);
      expect((await auditOf(registry, "peer/web-1")).filter((e) => e.action === "drain" && e.outcome === "ok")).toHaveLength(1);
    }), timeout);

    it("re-checks the capacity guard at approval time and fails the approval with its reason", withStore(async ({ store }) => {
      const { registry } = await setup(store, { "approvals.massPercent": 10 });
      // web keeps at least 2 available: the drain of web-1 is fine when asked...
      const staged = await registry.stageIfRequired(operator, { kind: "drain", peer: "web-1", input: { reason: "disk" } }, { reason: "disk" });
      const id = staged!.value.id;
      // ...but two other drains go first.
      await registry.drain(operator, "web-2", { reason: "other" });
      await registry.drain(operator, "web-3", { reason: "other" });
      expect(await codeOf(registry.approveChange(second, id, { reason: "ok" }))).toBe("pool-depletion");
      const failed = await registry.getApproval(reader, id);
      expect(failed).toMatchObject({ state: "failed", result: { errorCode: "pool-depletion" } });
      expect((await registry.getPeer(reader, "web-1")).peer.epoch).toBe(0);
    }), timeout);

    it("rejects with a reason (the requester may withdraw); a rejected change cannot be approved", withStore(async ({ store }) => {
      const { registry } = await setup(store);
      const a = (await registry.stageIfRequired(admin, { kind: "patchConfig", patch: { "rollout.maxParallel": 3 } }, { confirm: true, reason: "faster" }))!.value;
      expect(a.requiredScope).toBe("mesh.admin");
      expect(await codeOf(registry.rejectChange(second, a.id, { reason: "no" }))).toBe("forbidden");
      expect(await codeOf(registry.rejectChange(admin2, a.id, {}))).toBe("validation");
      const rejected = await registry.rejectChange(admin2, a.id, { reason: "not now" });
      expect(rejected.value).toMatchObject({ state: "rejected", decidedBy: "admin-2", decisionReason: "not now" });
      expect(await codeOf(registry.approveChange(admin2, a.id, { reason: "changed my mind" }))).toBe("approval-not-pending");
      expect((await registry.getConfig(reader)).values["rollout.maxParallel"]).toBe(1);

      const b = (await registry.stageIfRequired(admin, { kind: "demote", cluster: "us" }, { confirm: true, reason: "drill" }))!.value;
      expect((await registry.rejectChange(admin, b.id, { reason: "withdrawn" })).value.state).toBe("rejected");
      const c = (await registry.stageIfRequired(admin, { kind: "demote", cluster: "us" }, { confirm: true, reason: "drill" }))!.value;
      expect((await registry.approveChange(admin2, c.id, { reason: "go" })).value.state).toBe("applied");
      expect((await registry.listClusters(reader)).find((x) => x.id === "us")?.role).toBe("backup");
      expect((await registry.listApprovals(reader, { state: "rejected" })).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    }), timeout);

    it("expires pending changes on the clock, audited and on the change feed", withStore(async ({ store }) => {
      const { registry, clock } = await setup(store, { "approvals.ttlMs": 60_000 });
      const from = (await registry.listPeers(reader, { limit: 1 })).revision;
      const seen: Approval[] = [];
      const watch = registry.watchAll(from, (c) => {
        if (c.kind === "approval" && (c as ApprovalChange).value !== undefined) seen.push((c as ApprovalChange).value!);
      });
      try {
        const a = (await registry.stageIfRequired(admin, { kind: "patchConfig", patch: { "maintenance.freeze": true } }, { confirm: true, reason: "freeze" }))!.value;
        expect((await registry.expireApprovals(operator)).value.expired).toEqual([]);
        clock.advance(60_000);
        expect(await codeOf(registry.approveChange(admin2, a.id, { reason: "late" }))).toBe("approval-expired");
        const swept = await registry.expireApprovals(operator);
        expect(swept.value.expired).toEqual([a.id]);
        expect(swept.auditId).toBeTruthy();
        expect((await registry.getApproval(reader, a.id)).state).toBe("expired");
        expect((await registry.expireApprovals(operator)).auditId).toBe("");
        expect(await codeOf(registry.expireApprovals(reader))).toBe("forbidden");
        await expect.poll(() => seen.map((x) => x.state)).toEqual(["pending", "expired"]);
        expect((await registry.queryAudit(reader, { action: "expireApprovals", outcome: "ok" })).items).toHaveLength(1);
      } finally {
        watch.close();
      }
    }), timeout);
  });
}
