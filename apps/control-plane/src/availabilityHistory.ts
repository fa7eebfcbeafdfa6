import { isAvailable, pages, type Clock, type Logger, type PoolBudget, type TimerHandle } from "@drainkit/core";
import type { ChangeFeed, Peer, PeerReader, Principal } from "@drainkit/registry";

/** One pool at one moment: members available (live, serving traffic) out of all members. */
export interface PoolCount {
  readonly available: number;
  readonly total: number;
}

/** Every pool's count from the moment `t` (epoch ms) until the next point. */
export interface AvailabilityPoint {
  readonly t: number;
  readonly pools: Readonly<Record<string, PoolCount>>;
}

/**
 * Each pool's available members, as the capacity guard counts them: a member
 * serves traffic (`active` or `cordoned` for the pool's role) and its agent is
 * live. A peer whose liveness is `unknown` (silent agent, or one that never
 * reported) is never available.
 *
 * @example
 * poolAvailability(page.items, [{ name: "web", maxUnavailable: 1 }]); // { web: { available: 3, total: 4 } }
 */
export function poolAvailability(peers: Iterable<Peer>, budgets: readonly PoolBudget[]): Record<string, PoolCount> {
  const counts = new Map<string, { available: number; total: number }>();
  for (const peer of peers) {
    for (const name of new Set(peer.pools)) {
      const budget = budgets.find((b) => b.name === name) ?? { name };
      const c = counts.get(name) ?? { available: 0, total: 0 };
      c.total++;
      if (isAvailable(budget, { id: peer.id, pools: peer.pools, phase: peer.phase, roles: peer.phases, healthy: peer.liveness !== "unknown" })) c.available++;
      counts.set(name, c);
    }
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

function same(a: Readonly<Record<string, PoolCount>>, b: Readonly<Record<string, PoolCount>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k]?.available === b[k]?.available && a[k]?.total === b[k]?.total);
}

/** Bounds of {@link AvailabilityHistory}. */
export interface AvailabilityHistoryOptions {
  /** Points kept at most. Default 2 880. */
  readonly keep?: number;
  /** Points older than this are dropped (the newest is always kept). Default 24 h. */
  readonly maxAgeMs?: number;
}

/**
 * Pool availability over time, as change points: a point is recorded only
 * when some pool's count changed, so a step chart drawn from them is exact
 * (no slope between sparse samples). Bounded by count and age.
 *
 * @example
 * const h = new AvailabilityHistory({ keep: 100 });
 * h.record(1_000, { web: { available: 4, total: 4 } });
 * h.since(0); // [{ t: 1000, pools: { web: … } }]
 */
export class AvailabilityHistory {
  readonly #points: AvailabilityPoint[] = [];
  readonly #keep: number;
  readonly #maxAgeMs: number;

  constructor(options: AvailabilityHistoryOptions = {}) {
    this.#keep = Math.max(1, options.keep ?? 2_880);
    this.#maxAgeMs = Math.max(1, options.maxAgeMs ?? 24 * 3_600_000);
  }

  /** Records the counts at `t` if they differ from the last point; true when recorded. */
  record(t: number, pools: Readonly<Record<string, PoolCount>>): boolean {
    const last = this.#points.at(-1);
    if (last !== undefined && same(last.pools, pools)) return false;
    // The clock may step back a little between replicas' writes; a point never precedes the one before it.
    this.#points.push({ t: last === undefined ? t : Math.max(t, last.t), pools });
    const oldest = t - this.#maxAgeMs;
    let drop = Math.max(0, this.#points.length - this.#keep);
    while (drop < this.#points.length - 1 && this.#points[drop]!.t < oldest) drop++;
    if (drop > 0) this.#points.splice(0, drop);
    return true;
  }

  /**
   * The points from `since` on, led by the last point before it (the counts
   * in force at `since`), so a chart starting at `since` starts right.
   */
  since(since = 0): AvailabilityPoint[] {
    const first = this.#points.findIndex((p) => p.t >= since);
    if (first === -1) return this.#points.slice(-1);
    return this.#points.slice(first > 0 && this.#points[first]!.t > since ? first - 1 : first);
  }
}

/** Settings of {@link startAvailabilitySampler}. */
export interface AvailabilitySamplerOptions {
  readonly registry: PeerReader & ChangeFeed;
  readonly clock: Clock;
  readonly principal: Principal;
  readonly logger: Logger;
  /** The budgets (the stored ones: a function read at each sample). */
  readonly pools: readonly PoolBudget[] | (() => Promise<readonly PoolBudget[]>);
  readonly history: AvailabilityHistory;
  /**
   * How often to read the fleet even when nothing changes: liveness lapses
   * with time, with no write to announce it. Default 5 s.
   */
  readonly everyMs?: number;
  /** After a peer change, wait this long for others of the same step before reading. Default 200 ms. */
  readonly settleMs?: number;
}

/**
 * Keeps `history` current on this replica: reads every peer now, after each
 * peer change on the change feed (batched over `settleMs`), and every
 * `everyMs` (for liveness, which lapses without a write). Each replica runs
 * its own from the shared store, so any of them can answer
 * `GET /control/history/availability`; a replica's history starts when it
 * does.
 */
export function startAvailabilitySampler(options: AvailabilitySamplerOptions): { stop(): void } {
  const { registry, clock, principal, logger, pools, history } = options;
  const everyMs = options.everyMs ?? 5_000;
  const settleMs = options.settleMs ?? 200;
  let stopped = false;
  let tick: TimerHandle | undefined;
  let soon: TimerHandle | undefined;
  let feed: { close(): void } | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  // What availability depends on, per peer, as last seen on the feed: a heartbeat rewrites the peer
  // record without changing any of it, and must not cost a read of the whole fleet.
  const seen = new Map<string, string>();
  const shape = (peer: Peer): string => `${peer.phase}|${peer.liveness}|${peer.pools.join(",")}|${JSON.stringify(peer.phases)}`;
  const watch = (revision: number): void => {
    feed = registry.watch(
      revision,
      (change) => {
        if (change.kind !== "peer") return;
        const peer = change.value as Peer | undefined;
        const now = peer === undefined ? undefined : shape(peer);
        if (seen.get(change.id) === now && seen.has(change.id) === (now !== undefined)) return;
        if (now === undefined) seen.delete(change.id);
        else seen.set(change.id, now);
        if (soon === undefined && !stopped) soon = clock.setTimer(settleMs, () => void sample());
      },
      (error) => {
        logger.warn({ err: error.message }, "availability history: change feed lost; reading on the timer until it is back");
        feed?.close();
        feed = undefined;
      },
    );
  };

  const read = async (): Promise<void> => {
    const peers: Peer[] = [];
    let revision = 0;
    for await (const page of pages((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor ? { cursor } : {}) }))) {
      if (revision === 0) revision = page.revision;
      peers.push(...page.items);
    }
    history.record(clock.now(), poolAvailability(peers, typeof pools === "function" ? await pools() : pools));
    if (feed === undefined && !stopped) watch(revision);
  };

  const sample = async (): Promise<void> => {
    if (soon !== undefined) clock.clearTimer(soon);
    soon = undefined;
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = read()
      .catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, "availability history: could not read the peers; will retry"))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void sample();
        }
      });
    return running;
  };

  const loop = (): void => {
    void sample();
    if (!stopped) tick = clock.setTimer(everyMs, loop);
  };
  loop();
  return {
    stop() {
      stopped = true;
      if (tick !== undefined) clock.clearTimer(tick);
      if (soon !== undefined) clock.clearTimer(soon);
      feed?.close();
    },
  };
}
