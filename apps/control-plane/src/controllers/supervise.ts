import type { Clock, Logger, TimerHandle } from "@drainkit/core";

/** What {@link supervise} restarts: anything that can be stopped. */
export interface Stoppable {
  stop(): void;
}

/** A controller under {@link supervise}. */
export interface Supervised<T extends Stoppable> extends Stoppable {
  /** The running incarnation, or undefined while it restarts. */
  current(): T | undefined;
}

/**
 * Runs a leader controller and starts it again, from the store, whenever it
 * reports its change feed lost (history compacted past it, the store
 * connection gone): without the feed it would go on blind. Every controller
 * rebuilds its state from the store when it starts, exactly as after a
 * leader failover, so a restart loses nothing. `start` gets the incarnation
 * number (1, 2, …) and the callback to call when the feed is lost.
 *
 * @example
 * const deadlines = await supervise("drain deadlines", { clock, logger }, (_n, onFeedLost) =>
 *   startDrainDeadlines({ registry, clock, principal, logger, onFeedLost }));
 */
export async function supervise<T extends Stoppable>(
  name: string,
  options: { readonly clock: Clock; readonly logger: Logger; readonly restartDelayMs?: number },
  start: (incarnation: number, onFeedLost: (error: Error) => void) => Promise<T>,
): Promise<Supervised<T>> {
  const { clock, logger } = options;
  const delay = options.restartDelayMs ?? 1000;
  let current: T | undefined;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let incarnation = 0;
  const retry = (): void => {
    if (stopped || timer !== undefined) return;
    timer = clock.setTimer(delay, () => {
      timer = undefined;
      launch().catch((error: unknown) => {
        logger.error({ controller: name, err: error instanceof Error ? error.message : String(error) }, "could not restart a controller; retrying");
        retry();
      });
    });
  };
  const launch = async (): Promise<void> => {
    const mine = ++incarnation;
    const next = await start(mine, (error) => {
      if (stopped || mine !== incarnation) return;
      logger.warn({ controller: name, err: error.message, incarnation: mine }, "controller lost its change feed; restarting it from the store");
      current?.stop();
      current = undefined;
      retry();
    });
    if (stopped || mine !== incarnation) next.stop();
    else current = next;
  };
  await launch();
  return {
    current: () => current,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
      current?.stop();
      current = undefined;
    },
  };
}
