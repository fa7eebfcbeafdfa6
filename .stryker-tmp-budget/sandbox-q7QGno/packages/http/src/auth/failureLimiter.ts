// @ts-nocheck
import type { Clock } from "@drainkit/core";

/** Settings for {@link createFailureLimiter}. */
export interface FailureLimiterOptions {
  readonly clock: Clock;
  /** Failures allowed per client within `windowMs` before it is blocked. Default 10. */
  readonly maxFailures?: number;
  /** Length of the counting window and of the block. Default 60 s. */
  readonly windowMs?: number;
  /** Clients tracked at most; the oldest entry is forgotten first. Default 10 000. */
  readonly maxClients?: number;
}

/**
 * Counts authentication failures per client (remote address) in a fixed
 * window, so a token guesser gets 429s instead of more guesses. Successful
 * requests never count, so a busy legitimate client is never blocked.
 */
export interface FailureLimiter {
  /** Seconds until `client` may try again, or 0 when it is not blocked. */
  blockedFor(client: string): number;
  /** Records one failure. */
  fail(client: string): void;
}

/** @example const limiter = createFailureLimiter({ clock: systemClock(), maxFailures: 5 }); */
export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const max = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const entries = new Map<string, { start: number; failures: number }>();
  const current = (client: string): { start: number; failures: number } | undefined => {
    const e = entries.get(client);
    if (e && options.clock.monotonic() - e.start >= windowMs) {
      entries.delete(client);
      return undefined;
    }
    return e;
  };
  return {
    blockedFor(client) {
      const e = current(client);
      if (!e || e.failures < max) return 0;
      return Math.max(1, Math.ceil((e.start + windowMs - options.clock.monotonic()) / 1000));
    },
    fail(client) {
      const e = current(client);
      if (e) {
        e.failures++;
        return;
      }
      if (entries.size >= maxClients) entries.delete(entries.keys().next().value!);
      entries.set(client, { start: options.clock.monotonic(), failures: 1 });
    },
  };
}
