import { describe, expect, it } from "vitest";
import type { Peer, Placement, PlacedWorkload, WorkloadMove } from "@drainkit/registry";
import { rebuildFleet } from "../../../src/controllers/workloadMoves/rebuildFleet.ts";

/** Only the fields the rebuild reads; the rest of a peer does not matter here. */
const peer = (id: string, version = 1, phase: Peer["phase"] = "active"): Peer => ({ id, version, phase }) as Peer;
const placement = (peerId: string, items: readonly PlacedWorkload[], updatedAt: number, version = 1): Placement => ({ peer: peerId, items, version, updatedAt });
const move = (workload: string, from: string, to: string, state: WorkloadMove["state"], updatedAt: number, extra: Partial<WorkloadMove> = {}): WorkloadMove => ({
  id: `m-${workload}-${updatedAt}`,
  workload,
  tier: extra.owner === undefined ? "owner" : "child",
  from,
  to,
  state,
  plannedBy: "leader",
  createdAt: updatedAt - 1,
  updatedAt,
  generation: 1,
  ...extra,
});
const byPeer = (...ps: Placement[]): Map<string, Placement> => new Map(ps.map((p) => [p.peer, p]));
const where = (at: ReadonlyMap<string, { node: string }>): Record<string, string> => Object.fromEntries([...at].map(([id, w]) => [id, w.node]));

describe("rebuildFleet: where each workload is after a failover", () => {
  it("puts a reported workload on its reporter when no move touched it", () => {
    const fleet = rebuildFleet([peer("a", 3, "draining"), peer("b")], byPeer(placement("a", [{ id: "w1" }, { id: "w1.r", owner: "w1" }], 100)), []);
    expect(where(fleet.at)).toEqual({ w1: "a", "w1.r": "a" });
    expect(Object.fromEntries(fleet.owners)).toEqual({ "w1.r": "w1" });
    expect(Object.fromEntries(fleet.phases)).toEqual({ a: "draining", b: "active" });
    expect(Object.fromEntries(fleet.peerVersions)).toEqual({ a: 3, b: 1 });
    expect(Object.fromEntries(fleet.appliedPlacement)).toEqual({ a: 1, b: 0 });
    expect([...fleet.reported.get("a")!]).toEqual(["w1", "w1.r"]);
  });

  it("trusts a move newer than the report: a workload that just moved is where the move put it", () => {
    // a still reports w1 (its report is older than the move that finished at 200).
    const fleet = rebuildFleet([peer("a"), peer("b")], byPeer(placement("a", [{ id: "w1" }], 100)), [move("w1", "a", "b", "done", 200)]);
    expect(where(fleet.at)).toEqual({ w1: "b" });
  });

  it("trusts a report newer than the move", () => {
    const fleet = rebuildFleet([peer("a"), peer("b")], byPeer(placement("a", [{ id: "w1" }], 300)), [move("w1", "b", "a", "done", 200), move("w1", "a", "b", "failed", 250)]);
    expect(where(fleet.at)).toEqual({ w1: "a" });
  });

  it("places a move in flight by its state, reported or not: starting at its source, serving at its destination", () => {
    const fleet = rebuildFleet(
      [peer("a"), peer("b")],
      byPeer(placement("b", [{ id: "w1" }], 50)),
      [move("w1", "a", "b", "starting", 100), move("w2", "a", "b", "serving", 100, { owner: "w9" })],
    );
    expect(where(fleet.at)).toEqual({ w1: "a", w2: "b" });
    expect(Object.fromEntries(fleet.owners)).toEqual({ w2: "w9" });
  });

  it("takes the latest move of a workload, by time then generation", () => {
    const older = move("w1", "a", "b", "serving", 100);
    const newer = { ...move("w1", "a", "c", "starting", 100), generation: 2 };
    expect(where(rebuildFleet([peer("a"), peer("b"), peer("c")], new Map(), [newer, older]).at)).toEqual({ w1: "a" });
    expect(where(rebuildFleet([peer("a"), peer("b"), peer("c")], new Map(), [older, { ...newer, generation: 0 }]).at)).toEqual({ w1: "b" });
  });
});
