import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { AUDIT_KEEP, dashboardView, initialState, reduce, type DashboardState } from "../src/view.ts";
import type { Peer, WorkloadMove } from "../src/types.ts";
import { auditEntry, peer, status } from "./fixtures.ts";


const snapshot = (peers: Peer[], extra: Partial<Parameters<typeof reduce>[1] & { type: "snapshot" }> = {}): DashboardState =>
  reduce(initialState(), { type: "snapshot", at: 1000, revision: 10, peers, rollouts: [], audit: [], pools: [], ...extra });
const change = (s: DashboardState, revision: number, kind: "peer" | "audit" | "rollout" | "move", id: string, value: unknown, at = 2000): DashboardState =>
  reduce(s, { type: "change", at, change: { revision, kind, id, value } as never });

describe("the dashboard view model", () => {
  it("groups nodes by pool, then role, coloured by the phase of that role", () => {
    const s = snapshot([
      peer("web-2"),
      peer("web-1", { phase: "draining", phases: { edge: "draining" } }),
      peer("db-1", { pools: ["db"], roles: ["storage", "edge"], phases: { storage: "active", edge: "drained" }, phase: "partially-drained" }),
      peer("lonely", { pools: [] }),
    ]);
    const v = dashboardView(s);
    expect(v.groups.map((g) => g.pool)).toEqual(["db", "web", "(no pool)"]);
    const db = v.groups[0]!;
    expect(db.roles.map((r) => [r.role, r.nodes.map((n) => `${n.id}:${n.phase}`)])).toEqual([["edge", ["db-1:drained"]], ["storage", ["db-1:active"]]]);
    expect(v.groups[1]!.roles[0]!.nodes.map((n) => `${n.id}:${n.phase}`)).toEqual(["web-1:draining", "web-2:active"]);
  });

  it("counts each pool's available members against its budget", () => {
    const s = snapshot(
      [peer("web-1", { phase: "draining", phases: { edge: "draining" } }), peer("web-2", { phase: "cordoned", phases: { edge: "cordoned" } }), peer("web-3")],
      { pools: [{ name: "web", minAvailable: "100%" }] },
    );
    const web = dashboardView(s).pools.find((p) => p.pool === "web")!;
    // A cordoned node still serves: it counts as available.
    expect(web).toMatchObject({ total: 3, available: 2, budget: { required: 3, ok: false } });
    expect(web.budget!.text).toContain("minAvailable 100%");
    expect(dashboardView(snapshot([peer("web-1")])).pools[0]).toEqual({ pool: "web", total: 1, available: 1 });
  });

  it("follows a drain's progress from the most work seen to none left", () => {
    let s = snapshot([peer("web-1", { status: status(6, 1, 3, 0) })]);
    expect(dashboardView(s).drains).toEqual([]);
    s = change(s, 11, "peer", "web-1", peer("web-1", { phase: "draining", phases: { edge: "draining" }, epoch: 1, status: status(6, 1, 3, 0), spec: { cordons: {}, drain: { epoch: 1, deadline: 9e12, roles: ["edge"], reason: "kernel", ticket: "CHG-1", requestedAt: 0, requestedBy: "admin" } } }));
    let d = dashboardView(s).drains[0]!;
    expect(d).toMatchObject({ peer: "web-1", phase: "draining", remaining: { inFlight: 6, owners: 1, children: 3 }, progress: 0, done: 0, of: 10, reason: "kernel", ticket: "CHG-1" });
    s = change(s, 12, "peer", "web-1", peer("web-1", { phase: "draining", phases: { edge: "draining" }, epoch: 1, status: status(1, 0, 0) }));
    d = dashboardView(s).drains[0]!;
    expect(d.progress).toBeCloseTo(0.9);
    expect(d.remaining).toEqual({ inFlight: 1, owners: 0, children: 0 });
    s = change(s, 13, "peer", "web-1", peer("web-1", { phase: "drained", phases: { edge: "drained" }, epoch: 1, status: status(0, 0, 0), spec: { cordons: {}, drain: { epoch: 1, deadline: 9e12, roles: ["edge"], reason: "kernel", requestedAt: 0, requestedBy: "admin" } } }));
    expect(dashboardView(s).drains[0]).toMatchObject({ phase: "drained", progress: 1 });
    // Resumed: no longer a drain.
    s = change(s, 14, "peer", "web-1", peer("web-1", { epoch: 1 }));
    expect(dashboardView(s).drains).toEqual([]);
  });

  it("counts the workload moves of a drain live, only those of its epoch, with the latest failure", () => {
    const draining = peer("db-1", { phase: "draining", phases: { edge: "draining" }, epoch: 2, status: status(0, 2, 1, 2), spec: { cordons: {}, drain: { epoch: 2, deadline: 9e12, roles: ["edge"], reason: "disk", requestedAt: 0, requestedBy: "admin" } } });
    const move = (id: string, state: WorkloadMove["state"], over: Partial<WorkloadMove> = {}): WorkloadMove => ({
      id, workload: `w-${id}`, tier: "owner", from: "db-1", to: "db-2", drain: { target: "db-1", epoch: 2 }, state, plannedBy: "control-plane", createdAt: 0, updatedAt: 0, generation: 1, ...over,
    });
    let s = snapshot([draining], { moves: [move("old", "done", { drain: { target: "db-1", epoch: 1 } }), move("m1", "done")] });
    expect(dashboardView(s).drains[0]!.moves).toEqual({ inFlight: 0, done: 1, failed: 0 });
    s = change(s, 11, "move", "m2", move("m2", "starting"));
    s = change(s, 12, "move", "m3", move("m3", "failed", { to: "db-3", reason: "volume full", updatedAt: 5 }));
    expect(dashboardView(s).drains[0]!.moves).toEqual({ inFlight: 1, done: 1, failed: 1, lastFailure: { workload: "w-m3", to: "db-3", reason: "volume full" } });
    s = change(s, 13, "move", "m2", move("m2", "done", { generation: 3 }));
    expect(dashboardView(s).drains[0]!.moves).toMatchObject({ inFlight: 0, done: 2 });
    // A pruned move leaves the counts.
    s = change(s, 14, "move", "m1", undefined);
    expect(dashboardView(s).drains[0]!.moves).toMatchObject({ done: 1 });
  });

  it("shows why a drain is stalled while the control plane says so", () => {
    const drain = { epoch: 1, deadline: 9e12, roles: ["edge"], reason: "disk", requestedAt: 0, requestedBy: "admin" };
    let s = snapshot([peer("db-1", { phase: "draining", phases: { edge: "draining" }, epoch: 1, status: status(0, 2, 0), spec: { cordons: {}, drain: { ...drain, stalled: { reason: "no schedulable node in pool db can take the remaining workloads", workloads: ["s1"], since: 0 } } } })]);
    expect(dashboardView(s).drains[0]!.stalled).toBe("no schedulable node in pool db can take the remaining workloads (s1)");
    s = change(s, 11, "peer", "db-1", peer("db-1", { phase: "draining", phases: { edge: "draining" }, epoch: 1, status: status(0, 2, 0), spec: { cordons: {}, drain } }));
    expect(dashboardView(s).drains[0]!.stalled).toBeUndefined();
  });

  it("keeps the audit feed newest first, without duplicates, and ignores changes older than the state", () => {
    let s = snapshot([peer("web-1")], { audit: [auditEntry(1), auditEntry(3), auditEntry(2)] });
    s = change(s, 11, "audit", "a4", auditEntry(4));
    s = change(s, 11, "audit", "a3", auditEntry(3));
    expect(dashboardView(s).audit.map((e) => e.seq)).toEqual([4, 3, 2, 1]);
    const before = s;
    s = change(s, 5, "peer", "web-1", peer("web-1", { phase: "failed" }));
    expect(s).toBe(before);
  });

  it("shows the latest rollout, with pause or resume offered by its state", () => {
    const rollout = (id: string, createdAt: number, state: "running" | "paused") => ({
      id, version: "2.0", selector: {}, settings: { maxParallel: 1, failureThreshold: 0, drainTimeoutMs: 1, healthTimeoutMs: 1, minHealthyMs: 0, verify: false }, warnings: ["unverified rollout (verify=false)"], reason: "upgrade", requestedBy: "admin", state,
      plan: { waves: [], blocked: [] }, nodes: { "web-1": { step: "draining" as const, wave: 0, version: "1.0", at: 0 } }, progress: { total: 1, done: 0, failed: 0, inProgress: 1, pending: 0 }, createdAt, updatedAt: createdAt, generation: 1,
    });
    let s = snapshot([], { rollouts: [rollout("r2", 20, "running"), rollout("r1", 10, "paused")] });
    expect(dashboardView(s).rollout).toMatchObject({ id: "r2", canPause: true, canResume: false, nodes: [{ id: "web-1", step: "draining", wave: 0, version: "1.0" }], verify: false, warnings: ["unverified rollout (verify=false)"] });
    s = change(s, 11, "rollout", "r2", rollout("r2", 20, "paused"));
    expect(dashboardView(s).rollout).toMatchObject({ id: "r2", canPause: false, canResume: true });
  });

  it("matches a fresh snapshot whatever sequence of peer changes it applied (model check)", () => {
    const phases = ["active", "cordoned", "draining", "drained", "failed"] as const;
    const ids = ["a", "b", "c", "d"];
    const op = fc.record({ id: fc.constantFrom(...ids), phase: fc.constantFrom(...phases), pool: fc.constantFrom("web", "db"), remove: fc.boolean(), inFlight: fc.nat(20) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let s = snapshot([]);
        const model = new Map<string, Peer>();
        ops.forEach((o, i) => {
          const p = peer(o.id, { phase: o.phase, phases: { edge: o.phase }, pools: [o.pool], epoch: 1, status: status(o.inFlight, 0, 0) });
          s = change(s, 11 + i, "peer", o.id, o.remove ? undefined : p, 2000 + i);
          if (o.remove) model.delete(o.id);
          else model.set(o.id, p);
        });
        const fresh = dashboardView(snapshot([...model.values()]));
        const live = dashboardView(s);
        expect(live.groups).toEqual(fresh.groups);
        expect(live.pools).toEqual(fresh.pools);
        expect(live.drains.map((d) => [d.peer, d.phase, d.remaining])).toEqual(fresh.drains.map((d) => [d.peer, d.phase, d.remaining]));
        for (const d of live.drains) {
          expect(d.progress).toBeGreaterThanOrEqual(0);
          expect(d.progress).toBeLessThanOrEqual(1);
        }
        // History samples are fractions, never repeated twice in a row.
        for (const [i, h] of live.history.entries()) {
          for (const v of Object.values(h.pools)) expect(v >= 0 && v <= 1).toBe(true);
          if (i > 0) expect(h.pools).not.toEqual(live.history[i - 1]!.pools);
        }
      }),
      fcParams({ numRuns: 200 }),
    );
  });

  it("keeps at most AUDIT_KEEP audit entries", () => {
    const s = snapshot([], { audit: Array.from({ length: AUDIT_KEEP + 50 }, (_, i) => auditEntry(i + 1)) });
    expect(s.audit.length).toBe(AUDIT_KEEP);
    expect(s.audit[0]!.seq).toBe(AUDIT_KEEP + 50);
  });
});

describe("a failed drain", () => {
  it("shows the agent's reason", () => {
    const p = peer("web-1", { phase: "failed", phases: { edge: "failed" }, epoch: 2, status: { ...status(3, 0, 0, 2), reason: "deadline passed with 3 requests in flight" }, spec: { cordons: {}, drain: { epoch: 2, deadline: 0, roles: ["edge"], reason: "r", requestedAt: 0, requestedBy: "a" } } });
    const s = reduce(initialState(), { type: "snapshot", at: 0, revision: 1, peers: [p], rollouts: [], audit: [], pools: [] });
    expect(dashboardView(s).drains[0]).toMatchObject({ phase: "failed", failure: "deadline passed with 3 requests in flight", remaining: { inFlight: 3 } });
  });
});
