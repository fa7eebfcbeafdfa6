import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { countMoves, describeCounts, mergeMove } from "../../src/drain/moves.ts";
import type { MoveState, WorkloadMove } from "../../src/types.ts";

const move = (over: Partial<WorkloadMove> & Pick<WorkloadMove, "id">): WorkloadMove => ({
  workload: `w-${over.id}`,
  tier: "owner",
  from: "web-1",
  to: "web-2",
  drain: { target: "web-1", epoch: 3 },
  state: "starting",
  plannedBy: "control-plane",
  createdAt: 1000,
  updatedAt: 1000,
  generation: 1,
  ...over,
});

const STATES: readonly MoveState[] = ["starting", "serving", "done", "failed"];

const arbMove = fc.record({
  id: fc.stringMatching(/^m-[a-z0-9]{1,6}$/),
  from: fc.constantFrom("web-1", "web-2", "web-3"),
  to: fc.constantFrom("web-1", "web-2", "web-3"),
  drain: fc.option(fc.record({ target: fc.constantFrom("web-1", "web-2"), epoch: fc.integer({ min: 1, max: 4 }) }), { nil: undefined }),
  state: fc.constantFrom(...STATES),
  updatedAt: fc.integer({ min: 0, max: 10_000 }),
  reason: fc.option(fc.constantFrom("volume full", "image pull failed"), { nil: undefined }),
});

describe("countMoves", () => {
  it("counts only the moves off the peer for that drain's epoch, each in exactly one bucket", () => {
    fc.assert(
      fc.property(fc.array(arbMove, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (raw, epoch) => {
        const moves = raw.map(({ drain, reason, ...m }) => move({ ...m, ...(drain === undefined ? {} : { drain }), ...(reason === undefined ? {} : { reason }) }));
        const mine = moves.filter((m) => m.from === "web-1" && m.drain?.target === "web-1" && m.drain.epoch === epoch);
        const c = countMoves(moves, "web-1", epoch);
        expect(c.inFlight + c.done + c.failed).toBe(mine.length);
        expect(c.done).toBe(mine.filter((m) => m.state === "done").length);
        expect(c.inFlight).toBe(mine.filter((m) => m.state === "starting" || m.state === "serving").length);
        const failed = mine.filter((m) => m.state === "failed");
        if (failed.length === 0) expect(c.lastFailure).toBeUndefined();
        else expect(c.lastFailure?.workload).toBe(failed.reduce((a, b) => (b.updatedAt > a.updatedAt || (b.updatedAt === a.updatedAt && b.id > a.id) ? b : a)).workload);
      }), fcParams(),
    );
  });

  it("names the latest failure and says why", () => {
    const c = countMoves(
      [
        move({ id: "a", state: "failed", workload: "db-1", reason: "image pull failed", updatedAt: 5 }),
        move({ id: "b", state: "failed", workload: "db-3", reason: "volume full", updatedAt: 9 }),
        move({ id: "c", state: "serving" }),
        move({ id: "d", state: "done" }),
        move({ id: "e", state: "starting", drain: { target: "web-1", epoch: 2 } }),
      ],
      "web-1",
      3,
    );
    expect(c).toEqual({ inFlight: 1, done: 1, failed: 2, lastFailure: { workload: "db-3", reason: "volume full" } });
    expect(describeCounts(c)).toBe("moves in flight 1, done 1, failed 2 (last: db-3: volume full)");
  });
});

describe("mergeMove", () => {
  it("keeps the newest generation of each move whatever order list and feed deliver them in", () => {
    const versions = fc.array(fc.record({ id: fc.constantFrom("m-1", "m-2", "m-3"), generation: fc.integer({ min: 1, max: 5 }) }), { maxLength: 30 });
    fc.assert(
      fc.property(versions, (vs) => {
        const into = new Map<string, WorkloadMove>();
        for (const v of vs) mergeMove(into, move({ id: v.id, generation: v.generation, state: STATES[(v.generation - 1) % 4]! }));
        for (const id of ["m-1", "m-2", "m-3"]) {
          const newest = Math.max(0, ...vs.filter((v) => v.id === id).map((v) => v.generation));
          expect(into.get(id)?.generation ?? 0).toBe(newest);
        }
      }), fcParams(),
    );
  });
});
