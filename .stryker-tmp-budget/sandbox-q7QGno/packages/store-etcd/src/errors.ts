// @ts-nocheck
import { DrainkitError } from "@drainkit/core";
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  GRPCUnauthenticatedError,
  isRecoverableError,
} from "etcd3";

/**
 * Why an etcd operation failed, as a stable code:
 * - `store-unavailable`: no quorum, no reachable member, a leader change or a timeout (retryable);
 * - `store-forbidden`: etcd refused the credentials or the key range;
 * - `store-full`: etcd raised its space quota alarm (retryable once space is freed);
 * - `store-closed`: the store was closed;
 * - `history-compacted`: a watch asked for revisions etcd already compacted;
 * - `leadership-lost`: the abort reason of a lost `Leadership` (its lease expired or was revoked);
 * - `fenced`: a leader write (a txn with a `fence`) arrived after that leadership was gone;
 * - `store-error`: anything else (a bug or a misconfigured cluster: report it).
 */
export type EtcdStoreErrorCode =
  | "store-unavailable"
  | "store-forbidden"
  | "store-full"
  | "store-closed"
  | "history-compacted"
  | "leadership-lost"
  | "fenced"
  | "store-error";

/**
 * A typed failure of the etcd store; `cause` keeps the driver's error.
 *
 * @example
 * try { await store.txn(req) } catch (e) {
 *   if (e instanceof EtcdStoreError && e.code === "store-unavailable") retryLater();
 * }
 */
export class EtcdStoreError extends DrainkitError {
  declare readonly code: EtcdStoreErrorCode;
  constructor(code: EtcdStoreErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    // A full store is retryable for the caller (it clears once space is freed), never by blind retries inside the store.
    super(code, message, { retryable: code === "store-unavailable" || code === "store-full", ...options });
  }
}

// etcd server errors that mean "try again": the request may not have reached a
// quorum, or a leader election is under way.
const transientMessage = /leader changed|no leader|timed out|timeout|too many requests|unavailable|not capable|ECONNREFUSED|ECONNRESET|EPIPE|broken circuit|circuit breaker|connection|deadline/i;

/**
 * Maps an etcd3 / gRPC error to an {@link EtcdStoreError}; typed errors pass
 * through unchanged.
 */
export function classifyEtcdError(error: unknown, hosts: string): Error {
  if (error instanceof DrainkitError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : "";
  if (error instanceof ClientClosedError) {
    return new EtcdStoreError("store-closed", `The etcd store was closed; open a new one with makeEtcdStore.`, { cause: error });
  }
  if (
    error instanceof EtcdPermissionDeniedError ||
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdInvalidAuthTokenError ||
    error instanceof GRPCUnauthenticatedError
  ) {
    return new EtcdStoreError("store-forbidden", `etcd at ${hosts} refused the request (${text}); check the credentials and that the role may read and write the key prefix.`, { cause: error, details: { hosts } });
  }
  if (/compacted/i.test(text)) {
    return new EtcdStoreError("history-compacted", `etcd already compacted the requested revisions (${text}); reload with list() and watch from its revision.`, { cause: error });
  }
  if (/space exceeded|NOSPACE/i.test(text)) {
    return new EtcdStoreError("store-full", `etcd at ${hosts} is out of space (${text}); free space (etcdctl compact, then defrag on every member, then etcdctl alarm disarm) or raise --quota-backend-bytes, then retry.`, { cause: error, details: { hosts } });
  }
  if ((error instanceof Error && isRecoverableError(error)) || name === "BrokenCircuitError" || (error as object | null)?.constructor?.name === "BrokenCircuitError" || transientMessage.test(text)) {
    return new EtcdStoreError("store-unavailable", `etcd at ${hosts} is unavailable (${text}); retry shortly, and check that a quorum of members is up.`, { cause: error, details: { hosts } });
  }
  return new EtcdStoreError("store-error", `etcd at ${hosts} failed unexpectedly (${text}); report it with this message.`, { cause: error, details: { hosts } });
}
