// @ts-nocheck
import { backoff, type Clock, type Random } from "@drainkit/core";
import { EtcdStoreError, classifyEtcdError } from "./errors.ts";

/** How {@link makeCaller} runs etcd calls. */
export interface CallerOptions {
  readonly clock: Clock;
  readonly random: Random;
  /** For error messages. */
  readonly hosts: string;
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Bound on one call, retries included. */
  readonly deadlineMs?: number;
  /** Throws `store-closed` once the store is closed. */
  readonly ensureOpen: () => void;
  readonly closed: () => boolean;
}

/** Runs one etcd call; `onDeadline` runs when the call is abandoned at the deadline (it may still complete). */
export type Caller = <T>(fn: () => Promise<T>, onDeadline?: () => void) => Promise<T>;

/**
 * Runs etcd calls within a deadline, retrying `store-unavailable` with
 * jittered exponential backoff and mapping what remains to typed errors. Only
 * unavailability is retried here: a full store or a refused write does not
 * get better by asking again at once.
 */
export function makeCaller(options: CallerOptions): Caller {
  const { clock, random, hosts, attempts, baseDelayMs, maxDelayMs, deadlineMs, ensureOpen, closed } = options;
  const attemptAll = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      ensureOpen();
      try {
        return await fn();
      } catch (error) {
        const typed = closed() ? new EtcdStoreError("store-closed", "The etcd store was closed; open a new one with makeEtcdStore.", { cause: error }) : classifyEtcdError(error, hosts);
        if (!(typed instanceof EtcdStoreError) || typed.code !== "store-unavailable" || attempt >= attempts) throw typed;
        await backoff(attempt, { initialMs: baseDelayMs, maxMs: maxDelayMs }, { clock, random });
      }
    }
  };
  return <T>(fn: () => Promise<T>, onDeadline?: () => void): Promise<T> => {
    if (deadlineMs === undefined) return attemptAll(fn);
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimer(deadlineMs, () => {
        onDeadline?.();
        reject(
          new EtcdStoreError(
            "store-unavailable",
            `etcd at ${hosts} did not answer within ${deadlineMs} ms; retry shortly (a write may have been applied: retry it with the same Idempotency-Key), and check that a quorum of members is up.`,
            { details: { hosts, deadlineMs } },
          ),
        );
      });
      attemptAll(fn).then(
        (value) => {
          clock.clearTimer(timer);
          resolve(value);
        },
        (error: unknown) => {
          clock.clearTimer(timer);
          reject(error as Error);
        },
      );
    });
  };
}
