import type { Clock, Logger } from "@drainkit/core";
import type { Principal, Registry } from "@drainkit/registry";
import { startApprovalExpiry } from "./approvalExpiry.ts";
import { startAuditRetention } from "./auditRetention.ts";
import { startCordonExpiry } from "./cordonExpiry.ts";
import { startDrainDeadlines } from "./drainDeadlines.ts";
import { startIdempotencySweep } from "./idempotencySweep.ts";
import { startLivenessWatch } from "./livenessWatch.ts";
import { startRollouts } from "./rollouts.ts";
import { startStoreCompaction, type CompactableStore } from "./storeCompaction.ts";
import { supervise } from "./supervise.ts";
import { superviseWorkloadMoves, type WorkloadMoveMetrics } from "./workloadMoves.ts";

/** Principal the fleet controllers act as. */
export const CONTROLLER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };

/** What {@link startLeaderControllers} needs: the term's registry, the store for compaction, ports and settings. */
export interface LeaderControllersOptions {
  /** The registry of this leader term (its writes carry the term's fence). */
  readonly registry: Registry;
  /** The store itself, for compaction (which drops history, not data, and needs no fence); none: no compaction (a memory store trims its own history). */
  readonly store?: CompactableStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This replica's id: move ids carry it, so a later leader never reuses one of an earlier leader's ids. */
  readonly replicaId: string;
  /** Timing of the rollout runner. */
  readonly rollouts?: { readonly pollMs?: number; readonly healthIntervalMs?: number; readonly retryDelayMs?: number };
  /** A node every rollout takes last (this replica's own peer). */
  readonly last?: string;
  /** The drain scheduler: moves in flight per draining peer, how long a destination gets to serve a moved workload. */
  readonly moves?: { readonly batchSize?: number; readonly moveTimeoutMs?: number; readonly tickMs?: number };
  readonly moveMetrics?: WorkloadMoveMetrics;
  readonly compaction?: { readonly windowMs?: number; readonly intervalMs?: number };
  readonly auditRetentionIntervalMs?: number;
}

/**
 * Starts every fleet controller a leader runs for one term (drain
 * deadlines, cordon expiry, the liveness watch, rollouts, workload moves, idempotency sweep,
 * approval expiry, store compaction, audit retention) and returns the
 * function that stops them all. `drainkit serve` calls it from its
 * `Leadership` work; the simulator's full-stack mode calls the same
 * function on virtual time.
 *
 * @example
 * const leadership = new Leadership({ store, clock, logger, candidate, work: async (_signal, term) =>
 *   startLeaderControllers({ registry: createRegistry({ store: fencedStore(store, term.fence), clock }), clock, logger, replicaId: candidate }) });
 */
export async function startLeaderControllers(options: LeaderControllersOptions): Promise<() => void> {
  const { registry, clock, logger } = options;
  const principal = CONTROLLER;
  // Controllers that follow the change feed are restarted from the store if it breaks (see supervise.ts).
  const deadlines = await supervise("drain deadlines", { clock, logger }, (_n, onFeedLost) => startDrainDeadlines({ registry, clock, principal, logger, onFeedLost }));
  const expiry = startCordonExpiry({ registry, clock, principal, logger });
  const liveness = await supervise("liveness watch", { clock, logger }, (_n, onFeedLost) => startLivenessWatch({ registry, clock, principal, logger, onFeedLost }));
  const rollouts = await supervise("rollouts", { clock, logger }, (_n, onFeedLost) =>
    startRollouts({ registry, clock, principal, logger, ...(options.rollouts ?? {}), onFeedLost, ...(options.last === undefined ? {} : { last: options.last }) }),
  );
  // Move ids carry the term, so a later leader never reuses one of an earlier leader's ids.
  const term = `${options.replicaId.replace(/[^A-Za-z0-9._@-]/g, "-")}.${clock.now().toString(36)}`;
  const moves = await superviseWorkloadMoves({
    registry,
    clock,
    principal,
    logger,
    term,
    ...(options.moveMetrics === undefined ? {} : { metrics: options.moveMetrics }),
    ...(options.moves ?? {}),
  });
  const idempotency = startIdempotencySweep({ registry, clock, principal, logger });
  const approvals = startApprovalExpiry({ registry, clock, principal, logger });
  const compaction = options.store === undefined ? undefined : startStoreCompaction({ store: options.store, clock, logger, ...(options.compaction ?? {}) });
  const retention = startAuditRetention({ registry, clock, principal, logger, ...(options.auditRetentionIntervalMs === undefined ? {} : { intervalMs: options.auditRetentionIntervalMs }) });
  const controllers = [deadlines, expiry, liveness, rollouts, moves, idempotency, approvals, ...(compaction === undefined ? [] : [compaction]), retention];
  return () => {
    for (const c of controllers) c.stop();
  };
}
