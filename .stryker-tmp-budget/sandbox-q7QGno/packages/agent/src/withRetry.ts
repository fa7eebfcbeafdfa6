// @ts-nocheck
import type { Clock, Logger, Random } from "@drainkit/core";
import { backoff, ControlPlaneError, type BackoffPolicy } from "@drainkit/client";

/** What a retried call needs: time, randomness, the backoff policy and where to log the failures. */
export interface RetryPorts {
  readonly clock: Clock;
  readonly random: Random;
  readonly retry: BackoffPolicy;
  readonly logger: Logger;
  readonly peer: string;
}

/**
 * Runs `fn` until it succeeds, waiting the jittered backoff between attempts;
 * gives up on a control-plane error that is not retryable and when `signal`
 * aborts.
 */
export async function withRetry(ports: RetryPorts, signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      await fn();
      return;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ControlPlaneError && !error.retryable) throw error;
      ports.logger.warn({ peer: ports.peer, attempt, err: messageOf(error) }, "control plane call failed; retrying");
      await backoff(attempt, ports.retry, { clock: ports.clock, random: ports.random, signal });
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
