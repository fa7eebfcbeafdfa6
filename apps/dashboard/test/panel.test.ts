import { describe, expect, it } from "vitest";
import { verbsFor } from "../src/actions.ts";
import { auditHtml, clustersHtml, drainsHtml, filterAudit, gridHtml, legendHtml, peerPanelHtml, poolsHtml } from "../src/render.ts";
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

  it("shows the peer's metadata, by key, so an edit of it shows on the page", () => {
    const p = peer("web-2", { metadata: { rack: "r7", owner: "team-edge", slots: 4, tags: ["a", "b"] } });
    expect(peerPanelHtml(p, true)).toContain('<dd data-field="metadata">owner=team-edge, rack=r7, slots=4, tags=[&quot;a&quot;,&quot;b&quot;]</dd>');
    expect(peerPanelHtml(peer("web-3"), true)).toContain('<dd data-field="metadata">none</dd>');
    expect(peerPanelHtml(peer("web-4", { metadata: { note: "<b>x</b>" } }), true)).toContain('<dd data-field="metadata">note=&lt;b&gt;x&lt;/b&gt;</dd>');
  });
});

describe("clusters", () => {
  const cluster = (id: string, role: "active" | "backup", state = "serving") => ({ id, role, state, version: 1 });

  it("lists each cluster with its role, the active ones first, and follows promote and demote on the feed", () => {
    let s = reduce(initialState(), { type: "snapshot", at: 0, revision: 1, peers: [], rollouts: [], audit: [], pools: [], clusters: [cluster("west", "backup", "standby"), cluster("east", "active")] });
    const roles = (html: string): string[] => [...html.matchAll(/data-cluster="([^"]+)" data-role="([a-z]+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(roles(clustersHtml(dashboardView(s).clusters))).toEqual(["east:active", "west:backup"]);
    s = reduce(s, { type: "change", at: 1, change: { revision: 2, kind: "cluster", id: "west", value: cluster("west", "active", "promoting") } });
    const html = clustersHtml(dashboardView(s).clusters);
    expect(roles(html)).toEqual(["east:active", "west:active"]);
    expect(html).toContain('<span class="badge role-active">active</span> <span class="muted">promoting</span>');
    // An older change (a replay after a reconnect) does not move the page back.
    s = reduce(s, { type: "change", at: 2, change: { revision: 1, kind: "cluster", id: "west", value: cluster("west", "backup") } });
    expect(roles(clustersHtml(dashboardView(s).clusters))).toEqual(["east:active", "west:active"]);
    s = reduce(s, { type: "change", at: 3, change: { revision: 3, kind: "cluster", id: "east", value: undefined } });
    expect(roles(clustersHtml(dashboardView(s).clusters))).toEqual(["west:active"]);
    expect(clustersHtml([])).toBe('<p class="empty">No clusters declared.</p>');
  });

  it("escapes a cluster's id and state", () => {
    const html = clustersHtml([{ id: "<x>", role: "backup", state: '"s"', version: 0 }]);
    expect(html).not.toMatch(/<x>|"s"/);
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
  const snapshot = (peers = [peer("a"), peer("b")]) => reduce(initialState(), { type: "snapshot", at: 5_000, revision: 1, peers, rollouts: [], audit: [], pools: [] });

  it("takes the server's history up to the server's now and keeps what the page saw after it", () => {
    // The page saw 100 % at 5 000 (its snapshot) and, after a change, 50 % at 9 000.
    let s = snapshot();
    s = reduce(s, { type: "change", at: 9_000, change: { revision: 2, kind: "peer", id: "b", value: peer("b", { phase: "drained", phases: { edge: "drained" } }) } });
    expect(s.history).toEqual([{ t: 5_000, pools: { web: 1 } }, { t: 9_000, pools: { web: 0.5 } }]);
    // The server has kept the last hour, read at 8 000: before the page's change.
    s = reduce(s, { type: "history", now: 8_000, samples: [{ t: 1_000, pools: { web: 0.5 } }, { t: 3_000, pools: { web: 1 } }] });
    expect(s.history).toEqual([{ t: 1_000, pools: { web: 0.5 } }, { t: 3_000, pools: { web: 1 } }, { t: 9_000, pools: { web: 0.5 } }]);
    // Read again later, the server's own point replaces the page's.
    s = reduce(s, { type: "history", now: 10_000, samples: [{ t: 1_000, pools: { web: 0.5 } }, { t: 3_000, pools: { web: 1 } }, { t: 8_900, pools: { web: 0.5 } }] });
    expect(s.history.map((h) => h.t)).toEqual([1_000, 3_000, 8_900]);
  });
});

describe("liveness", () => {
  const silent = peer("web-2", { liveness: "unknown", status: { ...status(0, 0, 0), heartbeatAt: 15_000 } });
  const live = peer("web-1", { liveness: "live", status: { ...status(0, 0, 0), heartbeatAt: 99_000 } });
  const state = reduce(initialState(), { type: "snapshot", at: 100_000, revision: 1, peers: [live, silent], rollouts: [], audit: [], pools: [{ name: "web", minAvailable: 1 }] });

  it("hatches a silent peer as unknown with when it was last heard, never in a phase colour", () => {
    const html = gridHtml(dashboardView(state), undefined, 100_000);
    const cell = /<button[^>]*data-node="web-2"[^>]*>.*?<\/button>/.exec(html)![0];
    expect(cell).toContain('class="cell liveness-unknown"');
    expect(cell).not.toContain("phase-active");
    expect(cell).toContain('title="web-2 (web-2:80): unknown · last heard 85 s ago (phase active)"');
    expect(cell).toContain("unknown · 85 s ago");
    expect(/<button[^>]*data-node="web-1"[^>]*>/.exec(html)![0]).toContain('class="cell phase-active"');
    expect(legendHtml(["active"])).toContain('<span class="swatch liveness-unknown"></span>unknown (agent not reporting)');
  });

  it("never counts a silent peer as available, in the pools card or the chart", () => {
    const v = dashboardView(state);
    expect(v.pools[0]).toMatchObject({ pool: "web", total: 2, available: 1, budget: { headroom: 0, level: "floor" } });
    expect(v.history.at(-1)).toEqual({ t: 100_000, pools: { web: 0.5 } });
  });

  it("says so in the node panel, with the version", () => {
    const html = peerPanelHtml({ ...silent, labels: { version: "1.4.2" } }, true, 100_000);
    expect(html).toContain('<dd data-field="liveness">unknown · last heard 85 s ago (agent not reporting; not counted as available)</dd>');
    expect(html).toContain('<dd data-field="version">1.4.2</dd>');
    expect(peerPanelHtml(live, true, 100_000)).toContain('<dd data-field="liveness">live</dd>');
  });
});
