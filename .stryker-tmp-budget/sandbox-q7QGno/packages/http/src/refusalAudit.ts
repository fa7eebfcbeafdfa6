// @ts-nocheck
import type { Logger } from "@drainkit/core";
import type { AuditLog, MutationOptions, Principal } from "@drainkit/registry";
import type { PromMetrics } from "./metrics.ts";

/** Settings of {@link createRefusalAuditor}. */
export interface RefusalAuditOptions {
  readonly registry: Pick<AuditLog, "recordRefusal">;
  readonly logger?: Logger;
  readonly metrics?: PromMetrics;
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
 * Refusals are evidence, so each is audited with its reason and ticket (the
 * registry limits how many unauthenticated ones it writes one by one). When
 * the store fails, the entry cannot be written either: that is logged with
 * what the request asked and counted in `drainkit_audit_unwritten_total{cause="store-failure"}`.
 *
 * @example
 * const auditor = createRefusalAuditor({ registry, metrics });
 * await auditor.refuse(undefined, "drain", "peer/web-1", "unauthenticated", request.body);
 */
export function createRefusalAuditor(options: RefusalAuditOptions): RefusalAuditor {
  const { registry, logger, metrics } = options;
  return {
    async refuse(principal, action, target, code, body) {
      const mutation = reasonAndTicket(body);
      try {
        await registry.recordRefusal(principal, action, target, { code }, mutation);
      } catch (e) {
        // The refusal still goes out; a store outage must not turn a 401 into a 500.
        metrics?.auditUnwritten.inc({ cause: "store-failure" });
        logger?.warn({ err: e instanceof Error ? e.message : String(e), actor: principal?.id ?? "anonymous", action, target, code, ...mutation }, "could not audit a refused request");
      }
    },
    unaudited(principal, action, target, code, mutation) {
      metrics?.auditUnwritten.inc({ cause: "store-failure" });
      logger?.warn({ actor: principal?.id ?? "anonymous", action, target, code, ...mutation }, "mutation failed in the store and has no audit entry");
    },
  };
}
