import type { Clock, Logger } from "@drainkit/core";
import type { ApprovalStore, Principal } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

/** Settings of {@link startApprovalExpiry}. */
export interface ApprovalExpiryOptions {
  /** Expires pending approvals and finishes approved ones a crash left unsettled. */
  readonly registry: Pick<ApprovalStore, "expireApprovals" | "applyApprovedChanges">;
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
 * carries. Each round also finishes approvals left `approved` but unsettled
 * (the replica that approved crashed before the change's outcome was
 * recorded): applied exactly once (the apply's idempotency key replays a
 * change that committed) and re-checked against the guard, or `failed` with
 * the refusal, audited. A round with nothing due writes nothing.
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
      if (stopped()) return;
      const done = await registry.applyApprovedChanges(principal);
      if (done.applied.length > 0) logger.info({ applied: done.applied }, "approved changes left unsettled were applied");
      if (done.failed.length > 0) logger.warn({ failed: done.failed }, "approved changes left unsettled failed; the approvals say why");
    },
  });
}
