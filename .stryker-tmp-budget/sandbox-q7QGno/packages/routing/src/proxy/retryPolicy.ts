/** Settings of the proxy's retries. */
// @ts-nocheck

export interface RetryOptions {
  /**
   * Methods retried: a request is only ever retried when its method is here.
   * Default the idempotent methods of RFC 9110 §9.2.2: GET, HEAD, OPTIONS,
   * TRACE, PUT, DELETE.
   */
  readonly methods?: readonly string[];
  /** Attempts per request, the first included, each on a member not tried yet. Default 3. */
  readonly maxAttempts?: number;
  /**
   * Retries in flight may be at most this share of the requests in flight
   * (Envoy's retry budget), so retries cannot multiply load in an outage.
   * Default 0.2.
   */
  readonly budgetRatio?: number;
  /** Retries always allowed in flight whatever the ratio says (Envoy's `min_retry_concurrency`). Default 3. */
  readonly minRetryConcurrency?: number;
  /** Request bodies up to this size (from `content-length`) are buffered so they can be replayed; larger or chunked ones are never retried. Default 1 MiB. */
  readonly maxBufferedBodyBytes?: number;
}

/** Why an attempt is retried. */
export type RetryReason = "draining" | "connect";

/** The retry rules of one proxy, with the counts its budget needs. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly maxBufferedBodyBytes: number;
  /** Whether requests of `method` may be retried at all. */
  retries(method: string): boolean;
  /** Takes a slot from the budget; false when the budget is spent. `active` is the requests in flight. */
  take(active: number): boolean;
  /** Gives the slot back once the retried attempt settled. */
  give(): void;
}

export const IDEMPOTENT_METHODS: readonly string[] = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];

/** Builds the policy; `false` turns retries off. */
export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const off = options === false;
  const o = options === false || options === undefined ? {} : options;
  const methods = new Set((o.methods ?? IDEMPOTENT_METHODS).map((m) => m.toUpperCase()));
  const ratio = Math.max(0, o.budgetRatio ?? 0.2);
  const floor = Math.max(0, o.minRetryConcurrency ?? 3);
  let inFlight = 0;
  return {
    maxAttempts: off ? 1 : Math.max(1, o.maxAttempts ?? 3),
    maxBufferedBodyBytes: Math.max(0, o.maxBufferedBodyBytes ?? 1_048_576),
    retries: (method) => !off && methods.has(method.toUpperCase()),
    take(active) {
      if (inFlight >= Math.max(floor, Math.floor(active * ratio))) return false;
      inFlight++;
      return true;
    },
    give() {
      if (inFlight > 0) inFlight--;
    },
  };
}
