import type { Clock, Logger, TimerHandle } from "@drainkit/core";

/** Settings of {@link startSweeper}. */
export interface SweeperOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Wait between the end of one round and the start of the next, ms. */
  readonly intervalMs: number;
  /** For the log line of a failed round ("<what> failed; will retry"). */
  readonly what: string;
  /** One round; `stopped()` turns true once the sweeper is stopped, so a long round can end early. */
  readonly round: (stopped: () => boolean) => Promise<void>;
}

/**
 * The leader's periodic sweeps (expired cordons, idempotency records): a
 * round at once, then one `intervalMs` after each round ends, until
 * stopped. A failed round is logged and tried again next time.
 *
 * @example
 * const sweeper = startSweeper({ clock, logger, intervalMs: 5_000, what: "cordon expiry sweep", round: async (stopped) => { ... } });
 * sweeper.stop();
 */
export function startSweeper(options: SweeperOptions): { stop(): void } {
  const { clock, logger, intervalMs, what, round } = options;
  let stopped = false;
  let timer: TimerHandle | undefined;
  const isStopped = (): boolean => stopped;
  const sweep = async (): Promise<void> => {
    try {
      await round(isStopped);
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, `${what} failed; will retry`);
    }
    if (!stopped) timer = clock.setTimer(intervalMs, () => void sweep());
  };
  timer = clock.setTimer(0, () => void sweep());
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
    },
  };
}
