import type { Clock, Logger, TimerHandle } from "@drainkit/core";
import { compactionTarget } from "@drainkit/registry";

/** What compaction needs of a store: its revision, and dropping history before one. */
export interface CompactableStore {
  revision(): Promise<number>;
  compact(revision: number): Promise<void>;
}

/** Settings of {@link startStoreCompaction}. */
export interface StoreCompactionOptions {
  readonly store: CompactableStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Revisions of history kept for watchers; one further behind re-lists (`history-compacted`). Default 10 000. */
  readonly windowRevisions?: number;
  /** How often to look. Default 60 s. */
  readonly intervalMs?: number;
}

/**
 * The leader's store compaction: every `intervalMs`, drops the store's change
 * history older than the newest `windowRevisions` revisions (etcd's MVCC
 * history, SQLite's `changes` table), so the store's size follows the live
 * data rather than every write ever made. The decision is
 * `compactionTarget` (registry); this only runs it on a timer.
 *
 * @example
 * const compaction = startStoreCompaction({ store, clock, logger });
 * // on losing leadership:
 * compaction.stop();
 */
export function startStoreCompaction(options: StoreCompactionOptions): { stop(): void } {
  const { store, clock, logger } = options;
  const window = options.windowRevisions ?? 10_000;
  const interval = options.intervalMs ?? 60_000;
  // Known only to this leader; a new leader's first target may repeat a compaction, which stores treat as a no-op.
  let compacted = 0;
  let stopped = false;
  let timer: TimerHandle | undefined;
  const round = async (): Promise<void> => {
    try {
      const revision = await store.revision();
      const target = compactionTarget({ revision, compacted, window, step: Math.max(1, Math.floor(window / 10)) });
      if (target !== undefined && !stopped) {
        await store.compact(target);
        compacted = target;
        logger.info({ revision: target, window }, "store history compacted");
      }
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, "store compaction failed; will retry");
    }
    if (!stopped) timer = clock.setTimer(interval, () => void round());
  };
  timer = clock.setTimer(0, () => void round());
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
    },
  };
}
