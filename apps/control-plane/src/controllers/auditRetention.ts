import type { Clock, Logger } from "@drainkit/core";
import type { AuditPruner, AuditRetention, ConfigStore, Principal } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

/** Settings of {@link startAuditRetention}. */
export interface AuditRetentionOptions {
  /** Reads `audit.retentionDays` and `audit.maxEntries`; prunes the audit log. */
  readonly registry: ConfigStore & AuditPruner;
  readonly clock: Clock;
  /** Needs mesh.admin (the control plane's own principal). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** How often to apply retention. Default 60 s. */
  readonly intervalMs?: number;
  /** Most prune calls per round (each removes at most 50 entries). Default 100. */
  readonly maxCallsPerRound?: number;
}

const DAY_MS = 86_400_000;

/** The retention the settings ask for, or undefined when both are 0 (keep everything). */
export function retentionFrom(values: Readonly<Record<string, unknown>>, now: number): AuditRetention | undefined {
  const days = typeof values["audit.retentionDays"] === "number" ? values["audit.retentionDays"] : 0;
  const max = typeof values["audit.maxEntries"] === "number" ? values["audit.maxEntries"] : 0;
  if (days <= 0 && max <= 0) return undefined;
  // Each prune is an entry itself: a count limit prunes in batches (10 % of it, 2 to 50) so it settles instead of pruning one entry every round.
  return { ...(days > 0 ? { before: now - days * DAY_MS } : {}), ...(max > 0 ? { keepEntries: max, minBatch: Math.min(50, Math.max(2, Math.ceil(max / 10))) } : {}) };
}

/**
 * The leader's audit retention: every interval, reads `audit.retentionDays`
 * and `audit.maxEntries` and prunes the oldest entries they let go. Each
 * prune stores the (signed, with a key) checkpoint of the pruned prefix in
 * the same transaction, so `drainctl audit verify` still proves the rest of
 * the chain. A broken chain is never pruned (`audit-chain-broken` is logged
 * as an error every round until someone looks).
 *
 * @example
 * const retention = startAuditRetention({ registry, clock, principal: CONTROLLER, logger });
 * // on losing leadership:
 * retention.stop();
 */
export function startAuditRetention(options: AuditRetentionOptions): { stop(): void } {
  const { registry, clock, principal, logger } = options;
  const interval = options.intervalMs ?? 60_000;
  const maxCalls = options.maxCallsPerRound ?? 100;
  return startSweeper({
    clock,
    logger,
    intervalMs: interval,
    what: "audit retention",
    round: async (stopped) => {
      try {
        const retention = retentionFrom((await registry.getConfig(principal)).values, clock.now());
        let pruned = 0;
        let upTo: number | undefined;
        for (let call = 0; retention !== undefined && call < maxCalls && !stopped(); call++) {
          const { value } = await registry.pruneAudit(principal, retention, { reason: "audit retention (audit.retentionDays / audit.maxEntries)" });
          pruned += value.pruned;
          upTo = value.checkpoint?.seq ?? upTo;
          if (value.pruned === 0 || value.remaining === 0) break;
        }
        if (pruned > 0) logger.info({ pruned, checkpointSeq: upTo }, "audit entries pruned by retention; the chain now starts after the stored checkpoint");
      } catch (e) {
        // A broken chain is an error every round until someone looks; anything else the sweeper logs and retries.
        if ((e as { code?: unknown }).code !== "audit-chain-broken") throw e;
        logger.error({ err: e instanceof Error ? e.message : String(e) }, "audit retention refused: the chain is broken; run drainctl audit verify");
      }
    },
  });
}
