// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createCountingParticipant, NodeDrainCoordinator, type DrainCoordinatorEvent, type DrainParticipant, type DrainResult } from "../../src/index.ts";
import { fcParams, SimulatedClock } from "../../src/testing/index.ts";

// fc.scheduler() race tests: gate closures and reopenings acknowledge
// asynchronously, and drains, resumes, work completions and clock advances
// run in whatever interleaving the scheduler picks.

const ROLES = ["ingest", "storage"] as const;

interface RacyParticipant extends DrainParticipant {
  readonly open: boolean;
  begin(): boolean;
  end(): void;
}

function racyParticipant(s: fc.Scheduler, name: string, roles?: readonly string[]): RacyParticipant {
  const inner = createCountingParticipant(name, roles === undefined ? {} : { roles });
  return {
    name,
    ...(roles === undefined ? {} : { roles }),
    get open() {
      return inner.open;
    },
    begin: () => inner.begin(),
    end: () => inner.end(),
    inFlight: () => inner.inFlight(),
    onIdle: (fn) => inner.onIdle(fn),
    // The gate flips at the call, in call order; the acknowledgement comes whenever the scheduler says.
    drain: (signal) => {
      void inner.drain(signal);
      return s.schedule(Promise.resolve(), `${name} gate closed`);
    },
    resume: () => {
      void inner.resume();
      return s.schedule(Promise.resolve(), `${name} gate reopened`);
    },
  };
}

type Action =
  | { readonly kind: "drain"; readonly epoch: number; readonly roles: readonly string[] | undefined; readonly deadlineIn: number }
  | { readonly kind: "resume" }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "end"; readonly participant: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("drain" as const),
    epoch: fc.integer({ min: 1, max: 3 }),
    roles: fc.option(fc.subarray([...ROLES], { minLength: 1 }), { nil: undefined }),
    deadlineIn: fc.integer({ min: 50, max: 1_000 }),
  }),
  fc.constant({ kind: "resume" as const }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 400 }) }),
  { arbitrary: fc.record({ kind: fc.constant("end" as const), participant: fc.integer({ min: 0, max: 2 }) }), weight: 4 },
);

function serves(p: DrainParticipant, roles: readonly string[]): boolean {
  return p.roles === undefined || p.roles.some((r) => roles.includes(r));
}

describe("NodeDrainCoordinator races (fc.scheduler)", () => {
  it("keeps its invariants under any interleaving of drains, resumes, gate acknowledgements, completions and time", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(actionArb, { minLength: 1, maxLength: 16 }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }), async (s, actions, work) => {
        const clock = new SimulatedClock({ start: 0 });
        const participants = [racyParticipant(s, "a", ["ingest"]), racyParticipant(s, "b", ["storage"]), racyParticipant(s, "c")];
        const violations: string[] = [];
        let lastEpoch = 0;
        const events = {
          emit(e: DrainCoordinatorEvent) {
            if (e.type === "drain-started") {
              if (e.epoch <= lastEpoch) violations.push(`epoch ${e.epoch} started after ${lastEpoch}`);
              lastEpoch = e.epoch;
            }
            if (e.type === "drained") {
              for (const p of participants) {
                if (!serves(p, coordinator.snapshot().roles)) continue;
                if (p.inFlight() > 0) violations.push(`drained while ${p.name} has ${p.inFlight()} in flight`);
                if (p.open) violations.push(`drained while ${p.name}'s gate is open`);
              }
            }
          },
        };
        const coordinator = new NodeDrainCoordinator({ clock, participants, roles: ROLES, events });
        work.forEach((n, i) => {
          for (let k = 0; k < n; k++) participants[i]!.begin();
        });

        let generation = 0;
        const calls: { key: string; settled: boolean; result?: DrainResult; error?: unknown }[] = [];
        const run = (a: Action): void => {
          switch (a.kind) {
            case "drain": {
              const call: (typeof calls)[number] = { key: `${a.epoch}/${generation}`, settled: false };
              calls.push(call);
              coordinator.drain({ epoch: a.epoch, deadline: clock.now() + a.deadlineIn, reason: "race", ...(a.roles ? { roles: a.roles } : {}) }).then(
                (result) => Object.assign(call, { settled: true, result }),
                (error: unknown) => Object.assign(call, { settled: true, error }),
              );
              break;
            }
            case "resume":
              generation++;
              void coordinator.resume();
              break;
            case "advance": {
              clock.advance(a.ms);
              const snap = coordinator.snapshot();
              if (snap.status === "draining" && snap.deadline! <= clock.now()) violations.push(`still draining past the deadline at ${clock.now()}`);
              break;
            }
            case "end": {
              const p = participants[a.participant]!;
              if (p.inFlight() > 0) p.end();
              break;
            }
          }
        };
        for (const a of actions) void s.schedule(Promise.resolve(a), a.kind).then(run);
        await s.waitAll();

        expect(violations).toEqual([]);
        // Everything scheduled has run: a drain still in progress is waiting on real in-flight work.
        const snap = coordinator.snapshot();
        if (snap.status === "draining") expect(participants.some((p) => serves(p, snap.roles) && p.inFlight() > 0)).toBe(true);
        clock.advance(2_000);
        expect(coordinator.snapshot().status).not.toBe("draining");
        void coordinator.resume();
        await s.waitAll();
        expect(calls.every((c) => c.settled)).toBe(true);
        // Concurrent drains of one epoch (between the same resumes) share one result.
        const byKey = new Map<string, DrainResult>();
        for (const c of calls) {
          if (c.error !== undefined) {
            expect(c.error).toMatchObject({ code: "stale-epoch" });
            continue;
          }
          const seen = byKey.get(c.key);
          if (seen === undefined) byKey.set(c.key, c.result!);
          else expect(c.result).toBe(seen);
        }
        expect(clock.pendingTimers).toBe(0);
        for (const p of participants) expect(p.open).toBe(true);
      }),
      fcParams({ numRuns: 1_000 }),
    );
  });
});
