// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DrainScheduler, type DrainSchedulerEvent, type PlannedMove, type Workload } from "../../src/index.ts";
import { fcParams, RecordingEventSink, SimulatedClock } from "../../src/testing/index.ts";

// The scheduler's tick visits only the drains that changed since their last
// step (plus blocked and overdue ones). This checks, from the public reads
// alone and after random histories, that no drain which could act is left
// out: every drain that is empty and idle completes, every overdue one fails,
// every one with room, idle work in its tier and somewhere to send it plans a
// move; and a second tick with nothing new in between does nothing.

const op = fc.oneof(
  fc.record({ kind: fc.constant("drain" as const), node: fc.nat(), deadline: fc.integer({ min: 1, max: 3_000 }) }),
  fc.record({ kind: fc.constant("tick" as const) }),
  fc.record({ kind: fc.constant("commit" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("fail" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("report" as const), node: fc.nat(), inFlight: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 800 }) }),
  fc.record({ kind: fc.constant("cordon" as const), node: fc.nat(), schedulable: fc.boolean() }),
  fc.record({ kind: fc.constant("crash" as const), node: fc.nat(), up: fc.boolean() }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("resume" as const), node: fc.nat() }),
);

const historyArb = fc.integer({ min: 2, max: 7 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    owners: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 20 }),
    children: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: n - 1 })), { maxLength: 20 }),
    batchSize: fc.integer({ min: 1, max: 4 }),
    awaitIdle: fc.boolean(),
    ops: fc.array(op, { minLength: 1, maxLength: 60 }),
  }),
);

describe("DrainScheduler tick (incremental visits)", () => {
  it("leaves out no drain that could act, and a tick with nothing new does nothing", () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const clock = new SimulatedClock({ start: 0 });
        const ids = Array.from({ length: h.n }, (_, i) => `n${i}`);
        const workloads: Workload[] = h.owners.map((at, i) => ({ id: `o${i}`, node: `n${at}` }));
        if (h.owners.length > 0) h.children.forEach(([owner, at], i) => workloads.push({ id: `c${i}`, node: `n${at}`, owner: `o${owner % h.owners.length}` }));
        const events = new RecordingEventSink<DrainSchedulerEvent>();
        const s = new DrainScheduler({
          clock,
          fleet: { nodes: ids.map((id) => ({ id, pools: ["p"], phase: "active" })), workloads },
          batchSize: h.batchSize,
          maxDrainsPerScope: h.n,
          awaitIdleReport: h.awaitIdle,
          destinations: "any",
          events,
        });
        const live = new Set(workloads.map((w) => w.id));
        const nth = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

        const tickAndCheck = (): void => {
          const now = clock.now();
          const inFlight = s.inFlight();
          const placement = s.placement();
          const draining = ids.filter((id) => s.status(id)?.status === "draining");
          // What each draining node may do, from first principles and the public reads only.
          const expected = new Map<string, "drained" | "failed" | "plans" | "any">();
          for (const id of draining) {
            const st = s.status(id)!;
            const r = st.remaining;
            if (r.owners === 0 && r.children === 0 && r.movesInFlight === 0 && r.inFlight === 0) expected.set(id, "drained");
            else if (now > st.record.deadline) expected.set(id, "failed");
            else {
              const outgoing = inFlight.filter((m) => m.from === id).length;
              const here = placement.filter((w) => w.node === id);
              const ownersHere = here.filter((w) => w.owner === undefined);
              const tier = ownersHere.length > 0 ? ownersHere : here.filter((w) => w.owner !== undefined);
              const idle = tier.filter((w) => !inFlight.some((m) => m.workload === w.id));
              const somewhere = ids.some((other) => other !== id && s.isSchedulable(other));
              expected.set(id, h.batchSize - outgoing > 0 && idle.length > 0 && somewhere ? "plans" : "any");
            }
          }
          const moves = s.tick();
          for (const [id, want] of expected) {
            if (want === "drained" || want === "failed") expect(s.status(id)?.status, `${id} at ${now}`).toBe(want);
            if (want === "plans") expect(moves.some((m) => m.from === id), `${id} plans a move at ${now}`).toBe(true);
          }
          // Nothing changed since: a second tick plans nothing and reports nothing.
          const before = events.events.length;
          expect(s.tick()).toEqual([]);
          expect(events.events.slice(before)).toEqual([]);
        };

        for (const o of h.ops) {
          switch (o.kind) {
            case "drain":
              try {
                s.startDrain({ target: ids[o.node % h.n]!, deadline: clock.now() + o.deadline });
              } catch {
                // a scope full or the last schedulable node: refused, nothing changes
              }
              break;
            case "tick":
              tickAndCheck();
              break;
            case "commit":
            case "fail": {
              const m: PlannedMove | undefined = nth(s.inFlight(), o.pick);
              if (m === undefined) break;
              if (o.kind === "commit") s.moveCommitted(m);
              else s.moveFailed(m);
              break;
            }
            case "report": {
              const target = ids[o.node % h.n]!;
              const st = s.status(target);
              if (st !== undefined) s.reportProgress({ target, epoch: st.record.epoch, inFlight: o.inFlight });
              break;
            }
            case "advance":
              clock.advance(o.ms);
              break;
            case "cordon":
              s.setSchedulable(ids[o.node % h.n]!, o.schedulable);
              break;
            case "crash":
              if (o.up) s.nodeRecovered(ids[o.node % h.n]!);
              else s.nodeCrashed(ids[o.node % h.n]!);
              break;
            case "remove": {
              const w = nth([...live].sort(), o.pick);
              if (w === undefined) break;
              live.delete(w);
              s.removeWorkload(w);
              break;
            }
            case "resume":
              s.resumeNode(ids[o.node % h.n]!);
              break;
          }
        }
        tickAndCheck();
      }),
      fcParams({ numRuns: 300 }),
    );
  });
});
