import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DrainScheduler, type DrainSchedulerEvent, type PlannedMove, type Workload } from "../../src/index.ts";
import { fcParams, RecordingEventSink, SimulatedClock } from "../../src/testing/index.ts";

// A cancelled drain (resumeNode while moves of it are in flight) unwinds:
// after random histories of drains, ticks, commits, failures and rebuilds,
// each resume is checked against the public reads taken just before it. The
// expected cancel set is computed here from those reads alone: the moves in
// flight whose drain is the resumed node's.

const op = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("drain" as const), node: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("tick" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("commit" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fail" as const), pick: fc.nat() }) },
  // `busy`: resume a node whose drain has moves in flight, when there is one (the case that matters).
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("resume" as const), node: fc.nat(), busy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rebuild" as const) }) },
);

const historyArb = fc.integer({ min: 2, max: 6 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    owners: fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 16 }),
    children: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: n - 1 })), { maxLength: 12 }),
    batchSize: fc.integer({ min: 1, max: 4 }),
    balance: fc.boolean(),
    ops: fc.array(op, { minLength: 10, maxLength: 50 }),
  }),
);

describe("DrainScheduler.resumeNode (a cancelled drain unwinds its moves)", () => {
  it("cancels exactly the drain's moves in flight, leaves their workloads on the source, keeps every committed move, and a cancelled move never commits", () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const clock = new SimulatedClock({ start: 0 });
        const ids = Array.from({ length: h.n }, (_, i) => `n${i}`);
        const workloads: Workload[] = h.owners.map((at, i) => ({ id: `o${i}`, node: `n${at}` }));
        if (h.owners.length > 0) h.children.forEach(([owner, at], i) => workloads.push({ id: `c${i}`, node: `n${at}`, owner: `o${owner % h.owners.length}` }));
        const events = new RecordingEventSink<DrainSchedulerEvent>();
        const nodes = ids.map((id) => ({ id, pools: ["p"], phase: "active" }));
        const settings = { batchSize: h.batchSize, maxDrainsPerScope: h.n, awaitIdleReport: false, destinations: "any" as const, events, balance: { enabled: h.balance, threshold: 2 } };
        let s = new DrainScheduler({ clock, fleet: { nodes, workloads }, ...settings });
        let term = 0;
        const cancelledEver: PlannedMove[] = [];
        const nth = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

        for (const o of h.ops) {
          switch (o.kind) {
            case "drain":
              try {
                s.startDrain({ target: ids[o.node % h.n]!, deadline: clock.now() + 60_000 });
              } catch {
                // the last schedulable node: refused, nothing changes
              }
              break;
            case "tick":
              s.tick();
              break;
            case "commit":
            case "fail": {
              const m = nth(s.inFlight(), o.pick);
              if (m === undefined) break;
              if (o.kind === "commit") expect(s.moveCommitted(m)).toBe(true);
              else expect(s.moveFailed(m)).toBe(true);
              break;
            }
            case "rebuild": {
              // A new leader: same placement, the drains it reads, every move in flight adopted.
              const inFlight = s.inFlight();
              s = new DrainScheduler({ clock, fleet: { nodes, workloads: s.placement() }, records: s.records(), movePrefix: `t${++term}-`, ...settings });
              for (const m of inFlight) expect(s.adoptMove(m)).toBe(true);
              break;
            }
            case "resume": {
              const inFlight = s.inFlight();
              const busy = [...new Set(inFlight.flatMap((m) => (m.drain === undefined ? [] : [m.drain.target])))];
              const target = (o.busy ? nth(busy, o.node) : undefined) ?? ids[o.node % h.n]!;
              const placement = new Map(s.placement().map((w) => [w.id, w.node]));
              const want = inFlight.filter((m) => m.drain?.target === target);
              const before = events.events.length;

              const got = s.resumeNode(target);

              expect(got.map((m) => m.id).sort()).toEqual(want.map((m) => m.id).sort());
              for (const m of got) expect(m.from).toBe(target);
              // Every other move is still in flight; no cancelled one is.
              expect(s.inFlight().map((m) => m.id).sort()).toEqual(inFlight.filter((m) => !want.includes(m)).map((m) => m.id).sort());
              // Nobody's owner changed: the cancelled moves' workloads stay on their source, committed moves stay committed.
              expect(new Map(s.placement().map((w) => [w.id, w.node]))).toEqual(placement);
              for (const m of got) expect(s.ownerOf(m.workload)).toBe(target);
              expect(s.status(target)).toBeUndefined();
              const cancelEvents = events.events.slice(before).filter((e) => e.type === "fleet-move-cancelled");
              expect(cancelEvents.map((e) => (e.type === "fleet-move-cancelled" ? e.move.id : "")).sort()).toEqual(want.map((m) => m.id).sort());
              cancelledEver.push(...got);
              break;
            }
          }
          // A cancelled move is never resurrected: a late report of it is stale, whatever happened since.
          for (const m of cancelledEver) expect(s.moveCommitted(m)).toBe(false);
          // One owner per workload at every step.
          expect(s.placement().map((w) => w.id).sort()).toEqual(workloads.map((w) => w.id).sort());
        }
      }),
      fcParams({ numRuns: 300 }),
    );
  });

  it("cancels the adopted moves of a drain a new leader no longer finds (the drain ended while no leader ran)", () => {
    const clock = new SimulatedClock();
    const nodes = ["a", "b", "c"].map((id) => ({ id, pools: ["p"], phase: "active" }));
    const workloads = [0, 1, 2].map((i) => ({ id: `o${i}`, node: "a" }));
    const s = new DrainScheduler({ clock, fleet: { nodes, workloads }, batchSize: 2, awaitIdleReport: false });
    s.startDrain({ target: "a", deadline: 60_000, epoch: 1 });
    const [first, second] = s.tick();
    expect(s.moveCommitted(first!)).toBe(true);
    // The new leader reads no drain record for "a" (it was resumed), but the move still in flight.
    const rebuilt = new DrainScheduler({ clock, fleet: { nodes, workloads: s.placement() }, batchSize: 2, awaitIdleReport: false, movePrefix: "r-" });
    expect(rebuilt.adoptMove(second!)).toBe(true);
    expect(rebuilt.resumeNode("a")).toEqual([second]);
    expect(rebuilt.ownerOf(second!.workload)).toBe("a");
    expect(rebuilt.ownerOf(first!.workload)).toBe(first!.to);
    expect(rebuilt.resumeNode("a")).toEqual([]);
    expect(rebuilt.tick()).toEqual([]);
  });
});
