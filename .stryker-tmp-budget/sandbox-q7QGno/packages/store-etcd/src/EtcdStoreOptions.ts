// @ts-nocheck
import type { Clock, Random } from "@drainkit/core";

/** How transient failures (`store-unavailable`) are retried before they reach the caller. */
export interface EtcdRetryOptions {
  /** Tries in all, the first included. Default 8 (at most about 3.5 s of backoff). */
  readonly attempts?: number;
  /** First backoff step; doubles on each retry, each wait jittered into [step/2, step). Default 50. */
  readonly baseDelayMs?: number;
  /** Backoff ceiling. Default 1000. */
  readonly maxDelayMs?: number;
}

/** Settings of {@link makeEtcdStore}. */
export interface EtcdStoreOptions {
  /**
   * Client URLs of the members, e.g. `["http://10.0.0.1:2379", …]`, or one
   * comma-separated string (handy from an environment variable). Give all of
   * them: the client fails over between them.
   */
  readonly hosts: readonly string[] | string;
  /** Every key the store writes lives under this prefix. Default `"/drainkit/"`. */
  readonly prefix?: string;
  /** How long to wait for a connection to a member. Default 5000. */
  readonly dialTimeoutMs?: number;
  /** Deadline of each unary request. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Retry of transient failures; `false` surfaces them at once. */
  readonly retry?: EtcdRetryOptions | false;
  /**
   * Bound on one store operation, retries included: past it the operation
   * fails with `store-unavailable` (a write may still commit; the caller
   * retries it under its idempotency key). A server sets it below its
   * clients' timeouts so they get a 503 rather than a hung request when etcd
   * loses its quorum. Default: none (only `requestTimeoutMs` per attempt and
   * the retry budget).
   */
  readonly deadlineMs?: number;
  /** Backoff timers; defaults to the system clock. */
  readonly clock?: Clock;
  /** Backoff jitter; defaults to the system's random source. */
  readonly random?: Random;
}
