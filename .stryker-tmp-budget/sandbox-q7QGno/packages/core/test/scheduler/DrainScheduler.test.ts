// @ts-nocheck
import { describe, expect, it } from "vitest";
import {
  DrainLimitError,
  DrainScheduler,
  LastSchedulableNodeError,
  type FleetNode,
  type PlannedMove,
  type Workload,
} from "../../src/index.ts";
import { RecordingEventSink, SimulatedClock } from "../../src/testing/index.ts";

const node = (id: string, extra: Partial<FleetNode> = {}): FleetNode => ({ id, pools: ["p"], phase: "active", ...extra });
const owners = (n: number, on: string, prefix = "o"): Workload[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, node: on }));

function drainAll(s: DrainScheduler, onTick: (moves: PlannedMove[]) => void = () => {}): PlannedMove[] {
  const all: PlannedMove[] = [];
  for (let moves = s.tick(); moves.length > 0; moves = s.tick()) {
    onTick(moves);
    all.push(...moves);
    for (const m of moves) s.moveCommitted(m);
  }
  return all;
}

describe("DrainScheduler", () => {
  it("moves owners first in batches, then the children, which follow their owner", () => {
    const clock = new SimulatedClock({ start: 1_000 });
    const workloads: Workload[] = [...owners(25, "a"), ...Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, node: "a", owner: `o${i % 25}` }))];
    const s = new DrainScheduler({ clock, fleet: { nodes: [node("a"), node("b"), node("c"), node("d")], workloads }, batchSize: 10, awaitIdleReport: false });
    expect(s.startDrain({ target: "a", deadline: 60_000 }).outcome).toBe("started");
    const batches: PlannedMove[][] = [];
    drainAll(s, (m) => batches.push(m));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5, 10, 10, 10]);
    expect(batches.slice(0, 3).flat().every((m) => m.tier === "owner")).toBe(true);
    expect(batches.slice(3).flat().every((m) => m.tier === "child")).toBe(true);
    for (const m of batches.slice(3).flat()) expect(m.to).toBe(s.ownerOf(`o${Number(m.workload.slice(1)) % 25}`));
    expect(s.tick()).toEqual([]);
    expect(s.status("a")).toMatchObject({ status: "drained", remaining: { owners: 0, children: 0, movesInFlight: 0 } });
  });

  it("spreads a batch by least load, counting moves in flight, and never onto cordoned nodes", () => {
    const clock = new SimulatedClock();
    const s = new DrainScheduler({
      clock,
      fleet: { nodes: [node("a"), node("b"), node("c"), node("x", { phase: "cordoned" })], workloads: [...owners(6, "a"), ...owners(3, "b", "b")] },
      batchSize: 6,
      awaitIdleReport: false,
    });
    s.startDrain({ target: "a", deadline: 60_000 });
    const moves = s.tick();
    const to = moves.map((m) => m.to);
    expect(to.filter((t) => t === "x")).toHaveLength(0);
    // b holds 3 already: c takes the first 3 (levelling up to b), then they alternate.
    expect(to.slice(0, 3)).toEqual(["c", "c", "c"]);
    expect(to.filter((t) => t === "c")).toHaveLength(4);
    expect(to.filter((t) => t === "b")).toHaveLength(2);
  });

  it("completes only when empty AND every participant reported idle", () => {
    const clock = new SimulatedClock();
    const s = new DrainScheduler({ clock, fleet: { nodes: [node("a"), node("b")], workloads: owners(2, "a") } });
    const { record } = s.startDrain({ target: "a", deadline: 10_000 }) as { record: { epoch: number } };
    drainAll(s);
    expect(s.status("a")?.status).toBe("draining");
    expect(s.reportProgress({ target: "a", epoch: record.epoch, inFlight: 3 })).toBe("accepted");
    s.tick();
    expect(s.status("a")).toMatchObject({ status: "draining", remaining: { owners: 0, children: 0, inFlight: 3 } });
    expect(s.reportProgress({ target: "a", epoch: record.epoch - 1, inFlight: 0 })).toBe("stale");
    s.tick();
    expect(s.status("a")?.status).toBe("draining");
    s.reportProgress({ target: "a", epoch: record.epoch, inFlight: 0 });
    s.tick();
    expect(s.status("a")?.status).toBe("drained");
  });

  it("fails a drain that passes its deadline, with the remaining counts", () => {
    const clock = new SimulatedClock();
    const events = new RecordingEventSink();
    const s = new DrainScheduler({ clock, events, fleet: { nodes: [node("a"), node("b")], workloads: owners(3, "a") }, awaitIdleReport: false });
    s.startDrain({ target: "a", deadline: 5_000 });
    s.tick();
    clock.advance(5_001);
    s.tick();
    expect(s.status("a")).toMatchObject({ status: "failed", remaining: { owners: 3, movesInFlight: 3 } });
    expect(events.ofType("fleet-drain-failed")).toHaveLength(1);
  });

  it("refuses to drain the only schedulable node", () => {
    const clock = new SimulatedClock();
    const s = new DrainScheduler({ clock, fleet: { nodes: [node("a"), node("b", { phase: "cordoned" })] } });
    expect(() => s.startDrain({ target: "a", deadline: 1 })).toThrow(LastSchedulableNodeError);
    try {
      s.startDrain({ target: "a", deadline: 1 });
    } catch (e) {
      expect((e as LastSchedulableNodeError).code).toBe("last-schedulable-node");
    }
  });

  it("drains one target per scope unless configured otherwise", () => {
    const clock = new SimulatedClock();
    const nodes = [node("a"), node("b"), node("c"), node("z", { scope: "zone-2" }), node("y", { scope: "zone-2" })];
    const s = new DrainScheduler({ clock, fleet: { nodes } });
    s.startDrain({ target: "a", deadline: 1_000 });
    expect(() => s.startDrain({ target: "b", deadline: 1_000 })).toThrow(DrainLimitError);
    expect(s.startDrain({ target: "z", deadline: 1_000 }).outcome).toBe("started");
    const wide = new DrainScheduler({ clock, fleet: { nodes }, maxDrainsPerScope: 2 });
    wide.startDrain({ target: "a", deadline: 1_000 });
    expect(wide.startDrain({ target: "b", deadline: 1_000 }).outcome).toBe("started");
  });

  it("ignores stale epochs and stale move reports", () => {
    const clock = new SimulatedClock();
    const s = new DrainScheduler({ clock, fleet: { nodes: [node("a"), node("b"), node("c")], workloads: owners(1, "a") }, awaitIdleReport: false });
    expect(s.startDrain({ target: "a", deadline: 1_000, epoch: 7 }).outcome).toBe("started");
    expect(s.startDrain({ target: "a", deadline: 1_000, epoch: 7 }).outcome).toBe("unchanged");
    expect(s.startDrain({ target: "a", deadline: 1_000, epoch: 5 }).outcome).toBe("stale");
    const [m] = s.tick();
    expect(s.moveCommitted({ ...m!, to: m!.to === "b" ? "c" : "b" })).toBe(false);
    expect(s.moveCommitted(m!)).toBe(true);
    expect(s.moveCommitted(m!)).toBe(false);
  });

  it("retries a move elsewhere when its destination crashes mid-move", () => {
    const clock = new SimulatedClock();
    const s = new DrainScheduler({ clock, fleet: { nodes: [node("a"), node("b"), node("c")], workloads: owners(1, "a") }, awaitIdleReport: false });
    s.startDrain({ target: "a", deadline: 1_000 });
    const [first] = s.tick();
    const failed = s.nodeCrashed(first!.to);
    expect(failed.map((m) => m.id)).toEqual([first!.id]);
    expect(s.ownerOf("o0")).toBe("a");
    const [retry] = s.tick();
    expect(retry!.to).not.toBe(first!.to);
    s.moveCommitted(retry!);
    s.tick();
    expect(s.status("a")?.status).toBe("drained");
  });

  it("a scheduler rebuilt from the records alone continues the drain", () => {
    const clock = new SimulatedClock();
    const nodes = [node("a"), node("b"), node("c")];
    const s = new DrainScheduler({ clock, fleet: { nodes, workloads: owners(12, "a") }, batchSize: 4, awaitIdleReport: false });
    s.startDrain({ target: "a", deadline: 60_000, epoch: 3 });
    const first = s.tick();
    for (const m of first.slice(0, 2)) s.moveCommitted(m);
    const rebuilt = new DrainScheduler({ clock, fleet: { nodes, workloads: s.placement() }, records: s.records(), batchSize: 4, awaitIdleReport: false, movePrefix: "r1:" });
    expect(rebuilt.status("a")).toMatchObject({ record: { epoch: 3 }, status: "draining", remaining: { owners: 10 } });
    // The old incarnation's late reports are ignored.
    expect(rebuilt.moveCommitted(first[2]!)).toBe(false);
    drainAll(rebuilt);
    expect(rebuilt.status("a")?.status).toBe("drained");
    expect(rebuilt.placement().filter((w) => w.node === "a")).toEqual([]);
  });

  it("moves work only to a node sharing a pool with the one it leaves, unless told any node will do", () => {
    const clock = new SimulatedClock();
    const nodes = [node("db-1", { pools: ["db"] }), node("db-2", { pools: ["db", "ops"] }), node("web-1", { pools: ["web"] }), node("web-2", { pools: ["web"] })];
    const workloads = [...owners(3, "db-1"), { id: "c0", node: "db-1", owner: "o0" }];
    const s = new DrainScheduler({ clock, fleet: { nodes, workloads }, awaitIdleReport: false });
    s.startDrain({ target: "db-1", deadline: 60_000 });
    // web-1 and web-2 are emptier, but only db-2 shares a pool with db-1.
    expect(drainAll(s).every((m) => m.to === "db-2")).toBe(true);
    expect(s.status("db-1")?.status).toBe("drained");

    // No other node of its pool: blocked, and says why.
    const alone = new DrainScheduler({ clock, fleet: { nodes: [node("db-1", { pools: ["db"] }), node("web-1", { pools: ["web"] })], workloads: owners(1, "db-1") }, awaitIdleReport: false });
    alone.startDrain({ target: "db-1", deadline: 60_000 });
    expect(alone.tick()).toEqual([]);
    expect(alone.status("db-1")).toMatchObject({ status: "draining", blocking: ["o0"] });

    // A node that joins the pool (re-registered with new pools) takes the blocked work.
    alone.setPools("web-1", ["web", "db"]);
    expect(alone.tick().map((m) => m.to)).toEqual(["web-1"]);
    // And one that leaves it takes no more.
    const left = new DrainScheduler({ clock, fleet: { nodes: [node("db-1", { pools: ["db"] }), node("db-2", { pools: ["db"] })], workloads: owners(1, "db-1") }, awaitIdleReport: false });
    left.setPools("db-2", ["web"]);
    left.startDrain({ target: "db-1", deadline: 60_000 });
    expect(left.tick()).toEqual([]);

    // destinations: "any" restores fleet-wide placement.
    const any = new DrainScheduler({ clock, fleet: { nodes: [node("db-1", { pools: ["db"] }), node("web-1", { pools: ["web"] })], workloads: owners(1, "db-1") }, awaitIdleReport: false, destinations: "any" });
    any.startDrain({ target: "db-1", deadline: 60_000 });
    expect(any.tick().map((m) => m.to)).toEqual(["web-1"]);
  });

  it("a rebuilt scheduler adopts the old incarnation's moves in flight: none planned twice, each still commits", () => {
    const clock = new SimulatedClock();
    const nodes = [node("a"), node("b"), node("c")];
    const s = new DrainScheduler({ clock, fleet: { nodes, workloads: owners(6, "a") }, batchSize: 4, awaitIdleReport: false });
    s.startDrain({ target: "a", deadline: 60_000, epoch: 1 });
    const inFlight = s.tick();
    expect(inFlight).toHaveLength(4);
    const rebuilt = new DrainScheduler({ clock, fleet: { nodes, workloads: s.placement() }, records: s.records(), batchSize: 4, awaitIdleReport: false, movePrefix: "r1:" });
    for (const m of inFlight) expect(rebuilt.adoptMove(m)).toBe(true);
    // Adopting twice, or a move whose workload is not on its source, is refused.
    expect(rebuilt.adoptMove(inFlight[0]!)).toBe(false);
    expect(rebuilt.adoptMove({ ...inFlight[0]!, id: "x", from: "b" })).toBe(false);
    // The adopted moves fill the batch: nothing more is planned until they settle.
    expect(rebuilt.tick()).toEqual([]);
    expect(rebuilt.status("a")?.remaining.movesInFlight).toBe(4);
    for (const m of inFlight) expect(rebuilt.moveCommitted(m)).toBe(true);
    const next = rebuilt.tick();
    expect(next.map((m) => m.workload).sort()).toEqual(["o4", "o5"]);
    for (const m of next) expect(rebuilt.moveCommitted(m)).toBe(true);
    expect(rebuilt.tick()).toEqual([]);
    expect(rebuilt.status("a")?.status).toBe("drained");
    expect(new Set(rebuilt.placement().map((w) => w.id)).size).toBe(6);
  });

  it("forgets a removed workload, dropping its move in flight, and a drain no longer waits for it", () => {
    const clock = new SimulatedClock();
    const s = new DrainScheduler({ clock, fleet: { nodes: [node("a"), node("b")], workloads: [...owners(2, "a"), { id: "c0", node: "a", owner: "o0" }] }, batchSize: 1, awaitIdleReport: false });
    s.startDrain({ target: "a", deadline: 60_000 });
    const [first] = s.tick();
    expect(first?.workload).toBe("o0");
    expect(s.removeWorkload("o0")).toEqual(first);
    expect(s.moveCommitted(first!)).toBe(false);
    expect(s.removeWorkload("o0")).toBeUndefined();
    expect(s.loadOf("b").load).toBe(0);
    s.removeWorkload("o1");
    expect(s.removeWorkload("c0")).toBeUndefined();
    expect(s.tick()).toEqual([]);
    expect(s.status("a")).toMatchObject({ status: "drained", remaining: { owners: 0, children: 0, movesInFlight: 0 } });
  });

  it("balances only below draining: paused while a drain runs, never touching the draining node", () => {
    const clock = new SimulatedClock();
    const nodes = [node("a"), node("b"), node("c")];
    const workloads = [...owners(4, "a"), ...owners(8, "b", "b")];
    const paused = new DrainScheduler({ clock, fleet: { nodes, workloads }, balance: { enabled: true }, awaitIdleReport: false });
    paused.startDrain({ target: "a", deadline: 60_000 });
    expect(paused.tick().every((m) => m.drain !== undefined)).toBe(true);
    const running = new DrainScheduler({ clock, fleet: { nodes, workloads }, balance: { enabled: true, pauseWhileDraining: false }, awaitIdleReport: false });
    running.startDrain({ target: "a", deadline: 60_000 });
    const moves = running.tick();
    const balance = moves.filter((m) => m.drain === undefined);
    expect(balance.length).toBeGreaterThan(0);
    expect(balance.every((m) => m.from !== "a" && m.to !== "a")).toBe(true);
  });
});
