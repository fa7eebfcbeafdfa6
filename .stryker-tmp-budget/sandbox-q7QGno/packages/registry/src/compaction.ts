/** A store revision and when it was read (epoch ms). */
// @ts-nocheck

export interface RevisionSample {
  readonly at: number;
  readonly revision: number;
}

/**
 * Which revision the leader compacts a store's history to, so that the
 * history of the last `windowMs` stays: the newest revision read at least
 * `windowMs` before `now` (history up to it is older than the window).
 * `undefined`: nothing to do now (the store is younger than the window, or
 * that revision was compacted already).
 *
 * A time window, as Kubernetes compacts etcd every 5 minutes: a watcher
 * disconnected for longer than the window gets `history-compacted` and
 * re-lists; the history kept is the write rate times the window, whatever
 * the number of revisions a group commit makes of it.
 *
 * @example
 * const samples = [{ at: 0, revision: 100 }, { at: 60_000, revision: 900 }, { at: 400_000, revision: 5_000 }];
 * compactionTarget({ samples, now: 400_000, windowMs: 300_000, compacted: 0 }); // 900
 * compactionTarget({ samples, now: 400_000, windowMs: 300_000, compacted: 900 }); // undefined
 */
export function compactionTarget(input: { readonly samples: readonly RevisionSample[]; readonly now: number; readonly windowMs: number; readonly compacted: number }): number | undefined {
  let target: number | undefined;
  for (const s of input.samples) if (s.at <= input.now - input.windowMs && (target === undefined || s.revision > target)) target = s.revision;
  return target !== undefined && target > input.compacted ? target : undefined;
}
