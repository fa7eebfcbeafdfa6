// @ts-nocheck
import { describe, expect, it } from "vitest";
import { createNodeState, derivePhase, nextExpiry, nodePhase, transitionNode, type NodeEvent, type NodeState } from "../../src/index.ts";

function must(node: NodeState, event: NodeEvent, now?: number): NodeState {
  const r = transitionNode(node, event, now);
  if (!r.ok) throw r.error;
  return r.state;
}

describe("node state", () => {
  it("has the predefined roles by default, all active", () => {
    const node = createNodeState();
    expect(Object.keys(node.roles)).toEqual(["ingest", "edge", "storage", "processing"]);
    expect(nodePhase(node)).toBe("active");
  });

  it("gives one new epoch to every role a drain starts on, and derives the node phase from its roles", () => {
    let node = createNodeState(["ingest", "storage"]);
    node = must(node, { type: "drain", roles: ["ingest"], reason: "upgrade", deadline: 100 });
    expect(node.epoch).toBe(1);
    expect(nodePhase(node)).toBe("draining");
    node = must(node, { type: "drained", epoch: 1, roles: ["ingest"] });
    expect(nodePhase(node)).toBe("partially-drained");
    node = must(node, { type: "drain", reason: "upgrade", deadline: 100 });
    expect(node.epoch).toBe(2);
    expect(node.roles.ingest!.epoch).toBe(1); // drained + drain is a no-op
    expect(node.roles.storage!.epoch).toBe(2);
    node = must(node, { type: "drained", epoch: 2 });
    expect(nodePhase(node)).toBe("drained");
  });

  it("is all or nothing: one refusing role leaves the whole node unchanged", () => {
    let node = createNodeState(["ingest", "storage"]);
    node = must(node, { type: "drain", roles: ["ingest"], reason: "upgrade", deadline: 100 });
    const r = transitionNode(node, { type: "uncordon", owner: "ops" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("invalid-transition");
  });

  it("refuses unknown roles with a typed error", () => {
    const r = transitionNode(createNodeState(["ingest"]), { type: "cordon", owner: "ops", reason: "x", roles: ["gpu"] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("unknown-role");
  });

  it("applies due expiries first when given the time, and reports the next expiry", () => {
    let node = createNodeState(["ingest"]);
    node = must(node, { type: "cordon", owner: "ops", reason: "x", expiresAt: 50 });
    node = must(node, { type: "drain", reason: "upgrade", deadline: 80 });
    expect(nextExpiry(node)).toBe(50);
    const r = transitionNode(node, { type: "cordon", owner: "rollout", reason: "wave 2" }, 90);
    expect(r.ok && r.state.roles.ingest!.phase).toBe("failed");
    expect(r.ok && r.state.roles.ingest!.cordons.map((c) => c.owner)).toEqual(["rollout"]);
  });

  it("derives failed over draining over drained", () => {
    expect(derivePhase(["failed", "draining", "active"])).toBe("failed");
    expect(derivePhase(["draining", "drained"])).toBe("draining");
    expect(derivePhase(["cordoned", "active"])).toBe("cordoned");
    expect(derivePhase([])).toBe("active");
  });
});
