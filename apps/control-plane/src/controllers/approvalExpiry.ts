import type { Clock, Logger } from "@drainkit/core";
import type { ApprovalStore, Principal } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

/** Settings of {@link startApprovalExpiry}. */
export interface ApprovalExpiryOptions {
  /** Only expires staged approvals. */
  readonly registry: Pick<ApprovalStore, "expireApprovals">;
  readonly clock: Clock;
  /** Needs mesh.operate (the control plane's own principal). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** How often to look for pending changes past their time to live. Default 5 s. */
  readonly intervalMs?: number;
  /** Most calls per round (each expires at most 25). Default 40. */
  readonly maxCallsPerRound?: number;
}

/**
 * The leader's expiry of staged approvals: pending changes past `expiresAt`
 * (config `approvals.ttlMs` after they were requested, on the injected clock)
 * turn `expired`, each batch one audited transaction that the change feed
 * carries. A round with nothing due writes nothing.
 *
 * @example
 * const expiry = startApprovalExpiry({ registry, clock, principal: CONTROLLER, logger });
 * // on losing leadership:
 * expiry.stop();
 */
export function startApprovalExpiry(options: ApprovalExpiryOptions): { stop(): void } {
  const { registry, clock, principal, logger } = options;
  const interval = options.intervalMs ?? 5_000;
  const maxCalls = options.maxCallsPerRound ?? 40;
  return startSweeper({
    clock,
    logger,
    intervalMs: interval,
    what: "approval expiry",
    round: async (stopped) => {
      for (let call = 0; call < maxCalls && !stopped(); call++) {
        const { value } = await registry.expireApprovals(principal, { reason: "pending change outlived approvals.ttlMs" });
        if (value.expired.length > 0) logger.info({ expired: value.expired }, "pending approvals expired");
        if (value.expired.length < 25) break;
      }
    },
  });
}
