import { describe, expect, it } from "vitest";
import { verbsFor } from "../src/actions.ts";
import { loadHistory, saveHistory } from "../src/history.ts";
import { auditHtml, drainsHtml, filterAudit, peerPanelHtml, poolsHtml } from "../src/render.ts";
import { dashboardView, headroomText, initialState, reduce } from "../src/view.ts";
import { auditEntry, peer, status } from "./fixtures.ts";

const verbsIn = (html: string): string[] => [...html.matchAll(/data-verb="([a-z-]+)"/g)].map((m) => m[1]!);

describe("the node panel", () => {
  it("offers only the verbs the state machine accepts in the node's phase", () => {
    // From the architecture's table: ✗ and no-op events are not offered.
    const expected: Record<string, string[]> = {
      active: ["cordon", "drain"],
      cordoned: ["uncordon", "drain", "resume"],
      draining: ["resume"],
      drained: ["resume"],
      failed: ["drain", "resume"],
    };
    for (const [phase, verbs] of Object.entries(expected)) {
      const p = peer("web-1", { phase: phase as never, spec: { cordons: phase === "cordoned" ? { ops: { reason: "r", at: 0 } } : {} } });
      expect(verbsFor(p), phase).toEqual(verbs);
      expect(verbsIn(peerPanelHtml(p, true)), phase).toEqual(verbs);
    }
  });

  it("shows labels, version, in-flight work, workloads and the heartbeat's age", () => {
    const p = peer("web-1", { labels: { zone: "a" }, metadata: { version: "2.0.0" }, status: { ...status(0, 1, 2), inFlight: { http: 3 }, heartbeatAt: 10_000 } });
    const html = peerPanelHtml(p, true, 15_000);
    expect(html).toContain('<dd data-field="labels">zone=a</dd>');
    expect(html).toContain('<dd data-field="version">2.0.0</dd>');
    expect(html).toContain('<dd data-field="in flight">http 3</dd>');
    expect(html).toContain('<dd data-field="workloads">1 owners, 2 children</dd>');
    expect(html).toMatch(/<dd data-field="heartbeat">5s ago/);
  });
});

describe("pools", () => {
  const view = (available: number) => {
    const peers = ["a", "b", "c", "d"].map((id, i) => peer(id, { pools: ["web"], phase: i < available ? "active" : "drained", phases: { edge: i < available ? "active" : "drained" } }));
    return dashboardView(reduce(initialState(), { type: "snapshot", at: 0, revision: 1, peers, rollouts: [], audit: [], pools: [{ name: "web", minAvailable: 2 }] }));
  };

  it("shows the headroom, amber at the floor and red below it", () => {
    // Oracle: minAvailable 2 of 4 members; headroom = available − 2.
    expect(view(3).pools[0]!.budget).toMatchObject({ headroom: 1, level: "ok" });
    expect(headroomText(view(3).pools[0]!.budget!)).toBe("1 more disruption allowed");
    expect(view(2).pools[0]!.budget).toMatchObject({ headroom: 0, level: "floor" });
    expect(poolsHtml(view(2))).toContain('data-level="floor"');
    expect(view(1).pools[0]!.budget).toMatchObject({ headroom: -1, level: "below" });
    expect(poolsHtml(view(1))).toContain("1 below its budget");
  });
});

describe("drains", () => {
  it("lists drains in progress first and folds finished ones away", () => {
    const peers = [
      peer("a-done", { phase: "drained", epoch: 1, spec: { cordons: {}, drain: { epoch: 1, deadline: 0, roles: ["edge"], reason: "r", requestedAt: 0, requestedBy: "x" } } }),
      peer("b-busy", { phase: "draining", epoch: 1, status: status(1, 1, 0), spec: { cordons: {}, drain: { epoch: 1, deadline: 0, roles: ["edge"], reason: "r", requestedAt: 0, requestedBy: "x" } } }),
    ];
    const v = dashboardView(reduce(initialState(), { type: "snapshot", at: 0, revision: 1, peers, rollouts: [], audit: [], pools: [] }));
    expect(v.drains.map((d) => d.peer)).toEqual(["b-busy", "a-done"]);
    const html = drainsHtml(v);
    expect(html.indexOf("b-busy")).toBeLessThan(html.indexOf("<details"));
    expect(html).toMatch(/<details class="finished-drains"><summary>1 finished/);
    expect(drainsHtml(v, true)).toContain('<details class="finished-drains" open>');
  });
});

describe("the audit feed's filters", () => {
  const entries = [
    auditEntry(1, { action: "reportStatus", actor: "web-1", target: "peer/web-1" }),
    auditEntry(2, { action: "drain", actor: "alice", target: "peer/web-1" }),
    auditEntry(3, { action: "cordon", actor: "bob", target: "peer/web-2", outcome: "refused", errorCode: "pool-depletion" }),
  ];
  it("shows operators' actions, refusals, or one target", () => {
    expect(filterAudit(entries, { kind: "operators" }).map((e) => e.seq)).toEqual([2, 3]);
    expect(filterAudit(entries, { kind: "refusals" }).map((e) => e.seq)).toEqual([3]);
    expect(filterAudit(entries, { kind: "all", target: "web-1" }).map((e) => e.seq)).toEqual([1, 2]);
    expect(filterAudit(entries, { kind: "all", target: "peer/web-2" }).map((e) => e.seq)).toEqual([3]);
    expect(auditHtml(entries, { kind: "refusals", target: "web-1" })).toContain("No audit entry matches the filter.");
  });

  it("narrows by actor, action, outcome and time range, and marks dry runs", () => {
    expect(filterAudit(entries, { kind: "all", actor: "alice" }).map((e) => e.seq)).toEqual([2]);
    expect(filterAudit(entries, { kind: "all", action: "cordon" }).map((e) => e.seq)).toEqual([3]);
    expect(filterAudit(entries, { kind: "all", outcome: "ok" }).map((e) => e.seq)).toEqual([1, 2]);
    const [a, b, c] = entries.map((e) => e.at);
    expect(filterAudit(entries, { kind: "all", from: b!, to: c! }).map((e) => e.seq)).toEqual([2]);
    expect(filterAudit(entries, { kind: "all", from: a!, to: a! }).map((e) => e.seq)).toEqual([]);
    expect(auditHtml([auditEntry(4, { action: "drain", dryRun: true })])).toContain("dry run");
  });
});

describe("availability history", () => {
  it("survives a reload through sessionStorage, and ignores what it cannot read", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    saveHistory(storage, [{ t: 1, pools: { web: 1 } }, { t: 2, pools: { web: 0.5 } }]);
    expect(loadHistory(storage)).toEqual([{ t: 1, pools: { web: 1 } }, { t: 2, pools: { web: 0.5 } }]);
    store.set("drainkit.history", "{not json");
    expect(loadHistory(storage)).toEqual([]);
  });
});
