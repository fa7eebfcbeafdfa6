// @ts-nocheck
import { DrainkitError } from "@drainkit/core";

/**
 * No member of the role can take new traffic right now: every one is
 * draining, drained, failed or gone. Retryable: a resume or a new member
 * makes the role routable again.
 *
 * @example
 * try { balancer.pick(); } catch (e) { if (e instanceof NoRoutableMemberError) res.statusCode = 503; }
 */
export class NoRoutableMemberError extends DrainkitError {
  readonly role: string;
  constructor(role: string, known: number) {
    super(
      "no-routable-member",
      `Role "${role}" has no member that takes new traffic (${known} known, none active or cordoned). ` +
        `Resume a drained member or register a new one, then retry.`,
      { retryable: true, details: { role, known } },
    );
    this.role = role;
  }
}

/** A consistent-hash pick without a session key. */
export class SessionKeyRequiredError extends DrainkitError {
  constructor(role: string) {
    super("session-key-required", `The consistent-hash balancer of role "${role}" needs a session key: call pick(key) with the session's id.`, {
      retryable: false,
      details: { role },
    });
  }
}

/** The router was used before `ready()` resolved or after `close()`. */
export class RouterNotReadyError extends DrainkitError {
  constructor(state: "starting" | "closed") {
    super(
      "router-not-ready",
      state === "closed" ? "The router was closed; create a new one." : "The router has not loaded its first snapshot yet: await router.ready() before picking.",
      { retryable: state === "starting", details: { state } },
    );
  }
}

/** Why a DNS update did not apply. */
export type DnsUpdateFailure = "refused" | "timeout" | "tsig" | "network" | "malformed";

/**
 * A dynamic DNS update (RFC 2136) did not apply. `failure` says why; `rcode`
 * is the server's response code when it answered. Timeouts and network
 * errors are retryable; a refusal (bad key, zone not allowed) is not until
 * the configuration is fixed.
 */
export class DnsUpdateError extends DrainkitError {
  readonly failure: DnsUpdateFailure;
  readonly rcode: string | undefined;
  constructor(failure: DnsUpdateFailure, message: string, options: { rcode?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(`dns-update-${failure}`, message, {
      retryable: failure === "timeout" || failure === "network",
      details: { failure, ...(options.rcode === undefined ? {} : { rcode: options.rcode }), ...options.details },
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.failure = failure;
    this.rcode = options.rcode;
  }
}
