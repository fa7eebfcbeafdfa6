import type { Clock, Logger } from "@drainkit/core";
import { compactionTarget, type RevisionSample } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

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
  /** How much history is kept for watchers; one further behind re-lists (`history-compacted`). Default 5 min. */
  readonly windowMs?: number;
  /** How often to look. Default 60 s. */
  readonly intervalMs?: number;
}

/**
 * The leader's store compaction: every `intervalMs`, reads the store's
 * revision, and drops the change history older than `windowMs` (etcd's MVCC
 * history, SQLite's `changes` table), so the store's size follows the live
 * data and the write rate, not every write ever made. The decision is
 * `compactionTarget` (registry); this only samples revisions on a timer.
 * A new leader starts sampling afresh, so it compacts one window after it
 * took over.
 *
 * @example
 * const compaction = startStoreCompaction({ store, clock, logger });
 * // on losing leadership:
 * compaction.stop();
 */
export function startStoreCompaction(options: StoreCompactionOptions): { stop(): void } {
  const { store, clock, logger } = options;
  const windowMs = options.windowMs ?? 300_000;
  const interval = options.intervalMs ?? 60_000;
  const samples: RevisionSample[] = [];
  let compacted = 0;
  return startSweeper({
    clock,
    logger,
    intervalMs: interval,
    what: "store compaction",
    round: async (stopped) => {
      const now = clock.now();
      samples.push({ at: now, revision: await store.revision() });
      const target = compactionTarget({ samples, now, windowMs, compacted });
      if (target !== undefined && !stopped()) {
        await store.compact(target);
        compacted = target;
        logger.info({ revision: target, windowMs }, "store history compacted");
      }
      // Samples older than the one just used can never be a target again.
      while (samples.length > 1 && samples[1]!.at <= now - windowMs) samples.shift();
    },
  });
}
