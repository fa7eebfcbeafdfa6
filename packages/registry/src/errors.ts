import { DrainkitError } from "@drainkit/core";
import type { Scope } from "./types/principal.ts";

/**
 * Typed errors of the registry. Each `code` is stable and becomes the
 * problem+json `type`; {@link httpStatusFor} maps it to a status code so REST
 * and gRPC share one table. `invalid-transition` and `pool-depletion` come from
 * `@drainkit/core` (state machine and capacity guard) and pass through as is.
 */

/** The peer, cluster or setting does not exist. */
export class NotFoundError extends DrainkitError {
  constructor(kind: "peer" | "cluster" | "setting", id: string) {
    super("not-found", `No ${kind} "${id}" is registered; list them to check the id, or register it first.`, {
      details: { kind, id },
    });
  }
}

/** The input is malformed; `details.field` names what to fix. */
export class ValidationError extends DrainkitError {
  constructor(field: string, problem: string) {
    super("validation", `Invalid ${field}: ${problem}. Fix the request and send it again.`, { details: { field, problem } });
  }
}

/** No principal: the transport could not authenticate the caller. */
export class UnauthenticatedError extends DrainkitError {
  constructor() {
    super("unauthenticated", "Authenticate first: send a valid bearer token.");
  }
}

/** The principal lacks the scope the action needs. */
export class ForbiddenError extends DrainkitError {
  constructor(action: string, missing: Scope, detail?: string) {
    super(
      "forbidden",
      `"${action}" needs scope ${missing}${detail === undefined ? "" : ` (${detail})`}; ask an administrator for a token with it.`,
      { details: { action, missing } },
    );
  }
}

/** Would drain or cordon the last schedulable node serving a role. */
export class OnlySchedulableNodeError extends DrainkitError {
  constructor(peer: string, role: string) {
    super(
      "only-schedulable-node",
      `Peer "${peer}" is the only schedulable node serving role "${role}"; bring another node up for that role first.`,
      { details: { peer, role } },
    );
  }
}

/** Would leave no active cluster. */
export class LastActiveClusterError extends DrainkitError {
  constructor(cluster: string) {
    super("last-active-cluster", `Cluster "${cluster}" is the last active cluster; promote another cluster before demoting it.`, {
      details: { cluster },
    });
  }
}

/**
 * A destructive verb (forced drain, demote, config change) was sent without
 * the explicit confirmation field. Maps to 400: the request is incomplete.
 */
export class ConfirmationRequiredError extends DrainkitError {
  constructor(action: string) {
    super("confirmation-required", `"${action}" is destructive; repeat it with confirm: true (and a reason) to go ahead.`, {
      details: { action },
    });
  }
}

/** The idempotency key was already used for a different request. */
export class IdempotencyConflictError extends DrainkitError {
  constructor(key: string) {
    super("idempotency-conflict", `Idempotency-Key "${key}" was already used for a different request; use a new key for a new request.`, {
      details: { key },
    });
  }
}

/** If-Match named a version that is no longer current. */
export class EtagMismatchError extends DrainkitError {
  constructor(target: string, expected: string, actual: string) {
    super("etag-mismatch", `${target} changed since you read it (you sent ${expected}, it is now ${actual}); read it again and retry.`, {
      details: { target, expected, actual },
    });
  }
}

/** The mutation needs If-Match and none was sent. */
export class PreconditionRequiredError extends DrainkitError {
  constructor(action: string) {
    super("precondition-required", `"${action}" needs If-Match: read the resource, then send its ETag.`, { details: { action } });
  }
}

/** The store did not answer or failed; the mutation may be retried. */
export class StoreUnavailableError extends DrainkitError {
  constructor(message = "The registry store is unavailable; retry shortly.", cause?: unknown) {
    super("store-unavailable", message, { retryable: true, ...(cause === undefined ? {} : { cause }) });
  }
}

/** Too many concurrent writers kept winning the race; nothing was written. */
export class WriteContentionError extends DrainkitError {
  constructor(action: string, attempts: number) {
    super("write-contention", `"${action}" lost ${attempts} write races in a row; nothing was written, retry with the same Idempotency-Key.`, {
      retryable: true,
      details: { action, attempts },
    });
  }
}

/** This control-plane replica does not lead; send writes to the leader. */
export class NotLeaderError extends DrainkitError {
  constructor(leader?: string) {
    super("not-leader", `This replica is not the leader${leader === undefined ? "" : ` (${leader} is)`}; retry against the leader.`, {
      retryable: true,
      ...(leader === undefined ? {} : { details: { leader } }),
    });
  }
}

/**
 * An agent reported acting on a drain epoch the control plane has not issued:
 * its view of the spec is ahead of (or unrelated to) the stored one. It must
 * re-read its spec (GET /control/peers/{id}) and act on the epoch there.
 */
export class FutureEpochError extends DrainkitError {
  constructor(peer: string, reported: number, current: number) {
    super(
      "future-epoch",
      `Peer "${peer}" reported drain epoch ${reported}, but the current epoch is ${current}; re-read the spec (GET /control/peers/${peer}) and report for epoch ${current}.`,
      { details: { peer, reported, current } },
    );
  }
}

/** Error codes and their HTTP status, shared by REST and gRPC. */
export const httpStatusByCode: Readonly<Record<string, number>> = {
  validation: 400,
  "confirmation-required": 400,
  "unknown-role": 400,
  unauthenticated: 401,
  forbidden: 403,
  "not-found": 404,
  "invalid-transition": 409,
  "pool-depletion": 409,
  "only-schedulable-node": 409,
  "last-active-cluster": 409,
  "rollout-in-progress": 409,
  "move-state-conflict": 409,
  "future-epoch": 409,
  "move-plan-conflict": 409,
  "idempotency-conflict": 409,
  "etag-mismatch": 412,
  "history-compacted": 410,
  "precondition-required": 428,
  "store-unavailable": 503,
  "store-busy": 503,
  "store-closed": 503,
  "store-full": 507,
  "write-contention": 503,
  "not-leader": 503,
};

/**
 * The HTTP status for an error code; 500 for codes it does not know.
 *
 * @example
 * reply.status(httpStatusFor(err.code)).send(problem(err));
 */
export function httpStatusFor(code: string): number {
  return httpStatusByCode[code] ?? 500;
}
