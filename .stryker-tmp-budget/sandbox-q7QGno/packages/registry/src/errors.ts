// @ts-nocheck
import { DrainkitError } from "@drainkit/core";
import type { Scope } from "./types/principal.ts";

/**
 * Typed errors of the registry. Each `code` is stable, has its row (HTTP
 * status, title, retryable, next step) in `@drainkit/core`'s `catalogue`
 * and becomes the problem+json `type`. `invalid-transition` and
 * `pool-depletion` come from `@drainkit/core` (state machine and capacity
 * guard) and pass through as is.
 */

/** What a {@link NotFoundError} looked for. */
export type NotFoundKind = "peer" | "cluster" | "setting" | "move" | "rollout" | "approval" | "pool";

/**
 * The peer, cluster, setting, move or rollout does not exist (`id` left out:
 * no rollout was ever started).
 *
 * @example
 * throw new NotFoundError("move", "m-1"); // 404 not-found, details { kind: "move", id: "m-1" }
 */
export class NotFoundError extends DrainkitError {
  constructor(kind: NotFoundKind, id?: string) {
    super("not-found", notFoundMessage(kind, id), { details: { kind, ...(id === undefined ? {} : { id }) } });
  }
}

function notFoundMessage(kind: NotFoundKind, id: string | undefined): string {
  switch (kind) {
    case "move":
      return `No move "${id}"; GET /control/moves lists them (ended moves may have been pruned).`;
    case "approval":
      return `No approval "${id}"; GET /control/approvals lists the changes waiting for approval.`;
    case "pool":
      return `No pool "${id}" is declared; GET /control/pools lists them, PUT /control/pools/${id} declares it.`;
    case "rollout":
      return id === undefined ? "No rolling upgrade has been started yet; start one with POST /control/upgrade/drain." : `No rollout "${id}"; GET /control/upgrade shows the latest.`;
    default:
      return `No ${kind} "${id}" is registered; list them to check the id, or register it first.`;
  }
}

/**
 * Audit retention found the prefix it would prune broken (an entry changed or
 * removed); pruning it would erase the evidence, so nothing is pruned.
 */
export class AuditChainBrokenError extends DrainkitError {
  constructor(seq: number, reason: string) {
    super("audit-chain-broken", `The audit chain is broken at seq ${seq}: ${reason}. Retention pruned nothing, to keep the evidence.`, { details: { seq, reason } });
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
/** One home per workload: a report adds workloads another live peer holds, with no move bringing them here. */
export class WorkloadElsewhereError extends DrainkitError {
  constructor(peer: string, livesOn: Readonly<Record<string, string>>) {
    const named = Object.entries(livesOn).slice(0, 5).map(([w, p]) => `"${w}" on "${p}"`).join(", ");
    super(
      "workload-elsewhere",
      `Peer "${peer}" reported workloads that run on another live peer, with no move bringing them here: ${named}${Object.keys(livesOn).length > 5 ? ", …" : ""}. Stop them on "${peer}" and report again.`,
      { details: { peer, livesOn } },
    );
  }
}

export class FutureEpochError extends DrainkitError {
  constructor(peer: string, reported: number, current: number) {
    super(
      "future-epoch",
      `Peer "${peer}" reported drain epoch ${reported}, but the current epoch is ${current}; re-read the spec (GET /control/peers/${peer}) and report for epoch ${current}.`,
      { details: { peer, reported, current } },
    );
  }
}

/** The requester of a staged change tried to approve it: the two-person rule needs someone else. */
export class SelfApprovalError extends DrainkitError {
  constructor(id: string, requester: string, requiredScope: Scope) {
    super("approval-self", `${requester} requested approval ${id} and cannot approve it; a second principal with ${requiredScope} must (drainctl approvals approve ${id} --reason "reviewed").`, {
      details: { id, requester, requiredScope },
    });
  }
}

/** The approval was already decided (approved and applied, failed, rejected or expired). */
export class ApprovalNotPendingError extends DrainkitError {
  constructor(id: string, state: string) {
    super("approval-not-pending", `Approval ${id} is ${state}, not pending; GET /control/approvals/${id} shows what became of it.`, { details: { id, state } });
  }
}

/** The pending change outlived its time to live before anyone approved it. */
export class ApprovalExpiredError extends DrainkitError {
  constructor(id: string, expiresAt: number) {
    super("approval-expired", `Approval ${id} expired at ${new Date(expiresAt).toISOString()}; request the change again.`, { details: { id, expiresAt } });
  }
}
