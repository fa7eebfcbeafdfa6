import { describe, expect, it } from "vitest";
import { silentLogger } from "@drainkit/core";
import { flushMicrotasks, SimulatedClock } from "@drainkit/core/testing";
import type { IdempotencySweeper, IdempotencySweep, MutationOutcome, Principal } from "@drainkit/registry";
import { startIdempotencySweep } from "../../src/controllers/idempotencySweep.ts";

const CONTROLLER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };

/** The one role the sweeper needs, as a double that records each call and answers from a script. */
function sweeperDouble(remainingAfterEachCall: readonly number[]): IdempotencySweeper & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    async sweepIdempotency(_principal, input): Promise<MutationOutcome<IdempotencySweep>> {
      calls.push(input.before);
      const remaining = remainingAfterEachCall[calls.length - 1] ?? 0;
      return { value: { deleted: 30, remaining }, etag: '"0"', changed: true, auditId: `aud_${calls.length}` };
    },
  };
}

describe("the idempotency sweeper on its role alone", () => {
  it("calls again while records remain, then waits for the next round", async () => {
    const clock = new SimulatedClock({ start: 1_000 });
    const registry = sweeperDouble([60, 30, 0]);
    const sweeper = startIdempotencySweep({ registry, clock, principal: CONTROLLER, logger: silentLogger, intervalMs: 5_000 });
    clock.advance(0);
    await flushMicrotasks();
    expect(registry.calls).toEqual([1_000, 1_000, 1_000]);
    clock.advance(4_999);
    await flushMicrotasks();
    expect(registry.calls).toHaveLength(3);
    clock.advance(1);
    await flushMicrotasks();
    expect(registry.calls).toEqual([1_000, 1_000, 1_000, 6_000]);
    sweeper.stop();
    clock.advance(60_000);
    await flushMicrotasks();
    expect(registry.calls).toHaveLength(4);
  });
});
