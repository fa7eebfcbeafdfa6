import type { Clock, Logger } from "@drainkit/core";
import type { IdempotencySweeper, Principal } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

/** Settings of {@link startIdempotencySweep}. */
export interface IdempotencySweepOptions {
  /** Only sweeps idempotency records. */
  readonly registry: IdempotencySweeper;
  readonly clock: Clock;
  /** Needs mesh.admin (the control plane's own principal). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** How often to sweep. Default 60 s. */
  readonly intervalMs?: number;
  /** Most sweep calls per round (each deletes at most 30 records), so one round never hogs the store. Default 100. */
  readonly maxCallsPerRound?: number;
}

/**
 * The leader's idempotency sweeper: deletes idempotency records that have
 * outlived the registry's `idempotencyTtlMs`. Expired records already stop
 * counting when read; the sweep keeps the store from growing. Each call
 * deletes a small batch in one transaction, so a backlog drains over a few
 * calls; a round with nothing due writes nothing (not even an audit entry).
 *
 * @example
 * const sweeper = startIdempotencySweep({ registry, clock, principal: CONTROLLER, logger });
 * // on losing leadership:
 * sweeper.stop();
 */
export function startIdempotencySweep(options: IdempotencySweepOptions): { stop(): void } {
  const { registry, clock, principal, logger } = options;
  const maxCalls = options.maxCallsPerRound ?? 100;
  return startSweeper({
    clock,
    logger,
    intervalMs: options.intervalMs ?? 60_000,
    what: "idempotency sweep",
    round: async (stopped) => {
      let deleted = 0;
      for (let call = 0; call < maxCalls && !stopped(); call++) {
        const { value } = await registry.sweepIdempotency(principal, { before: clock.now() }, { reason: "idempotency records expired" });
        deleted += value.deleted;
        if (value.remaining === 0) break;
      }
      if (deleted > 0) logger.info({ deleted }, "expired idempotency records deleted");
    },
  });
}
