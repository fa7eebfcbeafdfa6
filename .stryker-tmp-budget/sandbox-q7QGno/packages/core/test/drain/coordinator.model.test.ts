// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createCountingParticipant, NodeDrainCoordinator, type CountingParticipant, type DrainCoordinatorEvent, type DrainResult, type EventSink } from "../../src/index.ts";
import { fcParams, flushMicrotasks, SimulatedClock } from "../../src/testing/index.ts";

// Model-based run of the coordinator on virtual time: work begins and ends,
// drains (of some or all roles) start, time passes, the node resumes. The
// model only knows which gates must be closed and what is in flight; the
// invariants are the ones the issue names.

const ROLES = ["ingest", "storage"] as const;

interface Model {
  closed: Set<string>;
  inFlight: Map<string, number>;
}
interface Real {
  clock: SimulatedClock;
  coordinator: NodeDrainCoordinator;
  participants: Map<string, CountingParticipant>;
  results: { settled: boolean; result?: DrainResult }[];
  violations: string[];
}

function serves(p: CountingParticipant, roles: readonly string[]): boolean {
  return p.roles === undefined || p.roles.some((r) => roles.includes(r));
}

function checkInvariants(real: Real): void {
  expect(real.violations).toEqual([]);
  const snap = real.coordinator.snapshot();
  const members = [...real.participants.values()].filter((p) => serves(p, snap.roles));
  if (snap.status === "drained") for (const p of members) expect(p.inFlight()).toBe(0);
  if (snap.status === "draining") {
    // Past its deadline a drain is failed, never stuck in draining.
    expect(snap.deadline!).toBeGreaterThan(real.clock.now());
    // Event driven: it completes the moment nothing is in flight.
    expect(members.some((p) => p.inFlight() > 0)).toBe(true);
    expect(real.clock.pendingTimers).toBe(1);
  } else {
    expect(real.clock.pendingTimers).toBe(0);
  }
}

function command(name: string, run: (m: Model, r: Real) => void, check: (m: Model) => boolean = () => true): fc.Command<Model, Real> {
  return {
    check,
    run: (m, r) => {
      run(m, r);
      checkInvariants(r);
    },
    toString: () => name,
  };
}

const names = fc.constantFrom("a", "b", "c");
const commands = [
  names.map((n) =>
    command(`begin(${n})`, (m, r) => {
      const admitted = r.participants.get(n)!.begin();
      expect(admitted).toBe(!m.closed.has(n));
      if (admitted) m.inFlight.set(n, m.inFlight.get(n)! + 1);
    }),
  ),
  names.map((n) =>
    command(
      `end(${n})`,
      (m, r) => {
        r.participants.get(n)!.end();
        m.inFlight.set(n, m.inFlight.get(n)! - 1);
      },
      (m) => m.inFlight.get(n)! > 0,
    ),
  ),
  fc.tuple(fc.option(fc.subarray([...ROLES], { minLength: 1 }), { nil: undefined }), fc.integer({ min: 1, max: 500 }), fc.boolean()).map(([roles, deadlineIn, explicit]) =>
    command(`drain(${roles ?? "all"}, +${deadlineIn}, ${explicit ? "next epoch" : "no epoch"})`, (m, r) => {
      const epoch = explicit ? r.coordinator.snapshot().epoch + 1 : undefined;
      const entry: { settled: boolean; result?: DrainResult } = { settled: false };
      r.results.push(entry);
      void r.coordinator
        .drain({ deadline: r.clock.now() + deadlineIn, reason: "model", ...(roles ? { roles } : {}), ...(epoch === undefined ? {} : { epoch }) })
        .then((result) => {
          entry.settled = true;
          entry.result = result;
        });
      // Gates close at once, whether the drain is new, shared or a no-op.
      for (const [name, p] of r.participants) if (serves(p, roles ?? ROLES)) m.closed.add(name);
      for (const [name, p] of r.participants) expect(p.open).toBe(!m.closed.has(name));
    }),
  ),
  fc.integer({ min: 0, max: 300 }).map((ms) => command(`advance(${ms})`, (_m, r) => r.clock.advance(ms))),
  fc.constant(
    command("resume", (m, r) => {
      void r.coordinator.resume();
      m.closed.clear();
      for (const p of r.participants.values()) expect(p.open).toBe(true);
      expect(r.coordinator.snapshot().status).toBe("idle");
    }),
  ),
];

function freshReal(): Real {
  const clock = new SimulatedClock({ start: 0 });
  const participants = new Map<string, CountingParticipant>([
    ["a", createCountingParticipant("a", { roles: ["ingest"] })],
    ["b", createCountingParticipant("b", { roles: ["storage"] })],
    ["c", createCountingParticipant("c")],
  ]);
  const real: Real = { clock, coordinator: undefined as never, participants, results: [], violations: [] };
  let lastEpoch = 0;
  const events: EventSink<DrainCoordinatorEvent> = {
    emit(e) {
      if (e.type === "drain-started") {
        if (e.epoch <= lastEpoch) real.violations.push(`epoch ${e.epoch} started after ${lastEpoch}`);
        lastEpoch = e.epoch;
      }
      if (e.type === "drained") {
        const roles = real.coordinator.snapshot().roles;
        for (const p of participants.values()) if (serves(p, roles) && p.inFlight() > 0) real.violations.push(`drained while ${p.name} has ${p.inFlight()} in flight`);
      }
    },
  };
  real.coordinator = new NodeDrainCoordinator({ clock, participants: [...participants.values()], roles: ROLES, events });
  return real;
}

describe("NodeDrainCoordinator (model-based)", () => {
  it("keeps gates, in-flight counts, deadlines and epochs consistent under any sequence of work, drains, time and resumes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
        const real = freshReal();
        fc.modelRun(() => ({ model: { closed: new Set<string>(), inFlight: new Map([["a", 0], ["b", 0], ["c", 0]]) }, real }), cmds);
        // Every drain result is eventually delivered: resume settles whatever is still in progress.
        void real.coordinator.resume();
        await flushMicrotasks();
        expect(real.results.every((e) => e.settled)).toBe(true);
        expect(real.clock.pendingTimers).toBe(0);
      }),
      fcParams({ numRuns: 1_000 }),
    );
  });
});
