import { noopMetrics, nullEventSink, sleep, type Clock, type EventSink, type Logger, type Metrics } from "@drainkit/core";
import type { RegistryStore } from "@drainkit/registry";

/** Raised once when no replica has led for longer than the threshold, and once when one leads again. */
export type LeaderlessEvent =
  | { readonly type: "no-leader"; readonly election: string; readonly replica: string; readonly forMs: number; readonly lastLeader?: string; readonly store: "reachable" | "unreachable" }
  | { readonly type: "leader-restored"; readonly election: string; readonly replica: string; readonly leader: string; readonly afterMs: number };

/** Settings of {@link observeLeader}. */
export interface LeaderObserverOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly election: string;
  /** This replica's candidate id. */
  readonly replica: string;
  /** True while this replica leads (a store head naming this replica between its terms is no leader). */
  readonly leading: () => boolean;
  /** How often the election is read. Default 1000 ms. */
  readonly intervalMs?: number;
  /** No leader known for this long raises `no-leader`. Default 10 s. */
  readonly noLeaderAfterMs?: number;
  readonly events?: EventSink<LeaderlessEvent>;
  /** `drainkit_leader_changes_total{replica}`: leader changes this replica has seen. */
  readonly metrics?: Metrics;
}

/** Who leads, as this replica last saw it. */
export interface LeaderView {
  readonly leader: string | undefined;
  /** Whether the last read of the election reached the store. */
  readonly storeReachable: boolean;
  /** How long no leader has been known (0 while one is). */
  readonly leaderlessMs: number;
}

/** A running {@link observeLeader}. */
export interface LeaderObserver {
  view(): LeaderView;
  /** This replica just became leader: counted as a change at once, not at the next read. */
  elected(): void;
  stop(): void;
}

/**
 * Reads the election every `intervalMs`, counts leader changes, and when no
 * replica has led for longer than `noLeaderAfterMs` says so once (an event
 * and an error log line naming the last leader and the store's state), and
 * again once a leader is back. Every replica runs it, so a fleet whose
 * leadership wedged is noticed even though no replica believes it should act.
 *
 * @example
 * const observer = observeLeader({ store, clock, logger, election: ELECTION, replica: "r1", leading: () => leadership.leading });
 * observer.view(); // { leader: "r2", storeReachable: true, leaderlessMs: 0 }
 */
export function observeLeader(options: LeaderObserverOptions): LeaderObserver {
  const { store, clock, logger, election, replica } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const threshold = options.noLeaderAfterMs ?? 10_000;
  const events: EventSink<LeaderlessEvent> = options.events ?? nullEventSink;
  const changes = (options.metrics ?? noopMetrics).counter("leader_changes_total", "Leader changes this replica has seen (a different replica, or this one, took the lead)");
  changes.inc({ replica }, 0);
  const stop = new AbortController();
  let leader: string | undefined;
  let lastLeader: string | undefined;
  let reachable = true;
  let leaderlessSince: number | undefined = clock.monotonic();
  let alarmed = false;

  const saw = (now: string | undefined): void => {
    const at = clock.monotonic();
    if (now !== undefined && now !== lastLeader) changes.inc({ replica });
    leader = now;
    if (now !== undefined) {
      if (alarmed) {
        const afterMs = leaderlessSince === undefined ? 0 : at - leaderlessSince;
        logger.info({ election, leader: now, afterMs }, "a control-plane replica leads again");
        events.emit({ type: "leader-restored", election, replica, leader: now, afterMs });
      }
      alarmed = false;
      lastLeader = now;
      leaderlessSince = undefined;
      return;
    }
    leaderlessSince ??= at;
    const forMs = at - leaderlessSince;
    if (!alarmed && forMs > threshold) {
      alarmed = true;
      const store = reachable ? "reachable" : "unreachable";
      logger.error({ election, forMs, lastLeader, store }, `no control-plane replica has led for ${forMs} ms: rollouts, drain deadlines, moves and sweeps are stopped`);
      events.emit({ type: "no-leader", election, replica, forMs, ...(lastLeader === undefined ? {} : { lastLeader }), store });
    }
  };

  const read = async (): Promise<void> => {
    try {
      const head = await store.leader(election);
      reachable = true;
      saw(head === replica && !options.leading() ? undefined : head);
    } catch {
      reachable = false;
      saw(options.leading() ? replica : undefined);
    }
  };

  void (async () => {
    while (!stop.signal.aborted) {
      await read();
      await sleep(clock, intervalMs, stop.signal).catch(() => {});
    }
  })();

  return {
    view: () => ({ leader, storeReachable: reachable, leaderlessMs: leaderlessSince === undefined ? 0 : clock.monotonic() - leaderlessSince }),
    elected: () => saw(replica),
    stop: () => stop.abort(),
  };
}
