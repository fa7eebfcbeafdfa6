/**
 * Which revision the leader compacts a store's history to: everything older
 * than the newest `window` revisions, once at least `step` more revisions
 * have passed since the last compaction (so a quiet store is not compacted
 * over and over). `undefined`: nothing to do now.
 *
 * Watchers more than `window` revisions behind get `history-compacted` and
 * re-list; the window is how far behind a watcher may fall without that.
 *
 * @example
 * compactionTarget({ revision: 25_000, compacted: 0, window: 10_000, step: 1_000 }); // 15000
 * compactionTarget({ revision: 25_500, compacted: 15_000, window: 10_000, step: 1_000 }); // undefined
 */
export function compactionTarget(input: { readonly revision: number; readonly compacted: number; readonly window: number; readonly step: number }): number | undefined {
  const target = input.revision - input.window;
  if (target <= 0 || target - input.compacted < Math.max(1, input.step)) return undefined;
  return target;
}
