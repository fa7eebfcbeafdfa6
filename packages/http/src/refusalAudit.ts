import type { Clock, Logger } from "@drainkit/core";
import type { AuditLog, MutationOptions, Principal } from "@drainkit/registry";
import type { PromMetrics } from "./metrics.ts";

/** Settings of {@link createRefusalAuditor}. */
export interface RefusalAuditOptions {
  readonly registry: Pick<AuditLog, "recordRefusal">;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: PromMetrics;
  /**
   * Unauthenticated refusals audited one by one per window, across all
   * sources; the rest are counted and written as one summary entry. Default 60.
   */
  readonly unauthenticatedPerWindow?: number;
  /** Length of that window. Default 60 s. */
  readonly windowMs?: number;
}

/** Audits requests refused at the door (401, 403, schema 400), and says so when it cannot. */
export interface RefusalAuditor {
  /** Writes one refused entry, with the reason and ticket the request carried; never throws. */
  refuse(principal: Principal | undefined, action: string, target: string, code: string, body?: unknown): Promise<void>;
  /** A mutation that failed in the store left no entry (the audit shares the store): log it and count it. */
  unaudited(principal: Principal | undefined, action: string, target: string, code: string, options: MutationOptions): void;
}

/** The reason and ticket of a body, whatever else in it was wrong, cut to the lengths the schemas allow. */
export function reasonAndTicket(body: unknown): MutationOptions {
  if (typeof body !== "object" || body === null) return {};
  const { reason, ticket } = body as { reason?: unknown; ticket?: unknown };
  return {
    ...(typeof reason === "string" && reason !== "" ? { reason: reason.slice(0, 1024) } : {}),
    ...(typeof ticket === "string" && ticket !== "" ? { ticket: ticket.slice(0, 128) } : {}),
  };
}

/**
 * Refusals are evidence, so each is audited with its reason and ticket. An
 * unauthenticated caller could flood the chain with them, so those are
 * audited one by one only up to a limit per window (the per-address failure
 * limiter answers 429, unaudited, after its own limit); past it they are
 * counted (`drainkit_audit_unwritten_total{cause="suppressed"}`) and the
 * next unauthenticated refusal after the window first writes one summary
 * entry (`action: "suppressedRefusals"`) with their number.
 *
 * @example
 * const auditor = createRefusalAuditor({ registry, clock, metrics });
 * await auditor.refuse(undefined, "drain", "peer/web-1", "unauthenticated", request.body);
 */
export function createRefusalAuditor(options: RefusalAuditOptions): RefusalAuditor {
  const { registry, clock, logger, metrics } = options;
  const perWindow = options.unauthenticatedPerWindow ?? 60;
  const windowMs = options.windowMs ?? 60_000;
  let windowStart = clock.monotonic();
  let admitted = 0;
  let suppressed = 0;

  const write = async (principal: Principal | undefined, action: string, target: string, code: string, mutation: MutationOptions): Promise<void> => {
    try {
      await registry.recordRefusal(principal, action, target, { code }, mutation);
    } catch (e) {
      // The refusal still goes out; a store outage must not turn a 401 into a 500.
      metrics?.auditUnwritten.inc({ cause: "store-failure" });
      logger?.warn({ err: e instanceof Error ? e.message : String(e), actor: principal?.id ?? "anonymous", action, target, code, ...mutation }, "could not audit a refused request");
    }
  };

  return {
    async refuse(principal, action, target, code, body) {
      const mutation = reasonAndTicket(body);
      if (principal === undefined) {
        if (clock.monotonic() - windowStart >= windowMs) {
          const missed = suppressed;
          windowStart = clock.monotonic();
          admitted = 0;
          suppressed = 0;
          if (missed > 0) {
            await write(undefined, "suppressedRefusals", "door", "unauthenticated", {
              reason: `${missed} more unauthenticated requests were refused in the previous window but not audited one by one (limit ${perWindow} per ${Math.round(windowMs / 1000)} s)`,
            });
          }
        }
        if (admitted >= perWindow) {
          suppressed++;
          metrics?.auditUnwritten.inc({ cause: "suppressed" });
          return;
        }
        admitted++;
      }
      await write(principal, action, target, code, mutation);
    },
    unaudited(principal, action, target, code, mutation) {
      metrics?.auditUnwritten.inc({ cause: "store-failure" });
      logger?.warn({ actor: principal?.id ?? "anonymous", action, target, code, ...mutation }, "mutation failed in the store and has no audit entry");
    },
  };
}
