import { pages, type Clock, type Logger } from "@drainkit/core";
import { livenessWindow, type ChangeFeed, type ConfigStore, type LivenessMarker, type Peer, type PeerReader, type Principal, type RegistryConfig } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

/** Settings of {@link startLivenessWatch}. */
export interface LivenessWatchOptions {
  /** Follows peers and the config, and records the moment a peer's agent goes silent. */
  readonly registry: PeerReader & ConfigStore & ChangeFeed & LivenessMarker;
  readonly clock: Clock;
  /** The control plane's own principal (needs mesh.operate). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** How often to look for reports past the window. Default: a quarter of the window, at most 1 s. */
  readonly intervalMs?: number;
  /** Called when the change feed ends with an error; the controller is blind from then on (restart it). */
  readonly onFeedLost?: (error: Error) => void;
}

/**
 * The leader's liveness watch. Reads already show a peer whose agent has not
 * reported within `heartbeat.staleAfterMs` as `unknown`; this controller makes
 * the moment it turns so a change of its own (`markSilent`: audited once per
 * silence, on the event feed), so the dashboard and every watcher see a silent
 * host leave `live` when it happens. It keeps, per peer, the time of the last
 * report the feed showed, so its round costs memory reads, not store reads.
 * Rebuilt from a listing on every start: a new leader marks what the old one
 * had not, and never marks a silence twice (the peer view's `silentSince`).
 */
export async function startLivenessWatch(options: LivenessWatchOptions): Promise<{ stop(): void; watched(): number }> {
  const { registry, clock, principal, logger } = options;
  /** Peers whose last report is not yet marked silent: the time of that report. */
  const heard = new Map<string, number>();
  let windowMs = livenessWindow((await registry.getConfig(principal)).values);
  let stopped = false;

  const observe = (id: string, peer: Peer | undefined): void => {
    const at = peer?.status?.heartbeatAt;
    if (at === undefined || peer?.silentSince !== undefined) heard.delete(id);
    else heard.set(id, at);
  };
  // Watch first, then list: a report between the two is seen by one or the other (the newer wins).
  const { revision } = await registry.listPeers(principal, { limit: 1 });
  const watch = registry.watch(
    revision,
    (change) => {
      if (stopped) return;
      if (change.kind === "peer") observe(change.id, change.value as Peer | undefined);
      else if (change.kind === "config") windowMs = livenessWindow((change.value as RegistryConfig).values);
    },
    (error) => {
      logger.error({ err: error.message }, "liveness watch lost the change feed");
      if (!stopped) options.onFeedLost?.(error);
    },
  );
  for await (const page of pages((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor ? { cursor } : {}) }))) {
    for (const peer of page.items) if (!heard.has(peer.id) || (peer.status?.heartbeatAt ?? 0) > heard.get(peer.id)!) observe(peer.id, peer);
  }

  const sweeper = startSweeper({
    clock,
    logger,
    intervalMs: options.intervalMs ?? Math.min(1000, Math.max(50, Math.floor(windowMs / 4))),
    what: "liveness watch",
    round: async (isStopped) => {
      const now = clock.now();
      const due = [...heard].filter(([, at]) => now - at > windowMs);
      for (const [id, at] of due) {
        if (isStopped() || stopped) return;
        const { value } = await registry.markSilent(principal, id, { heartbeatAt: at }, { idempotencyKey: `silent:${id}:${at}`, reason: `no report for ${Math.round((now - at) / 1000)} s (heartbeat.staleAfterMs ${windowMs})` });
        if (heard.get(id) === at) heard.delete(id);
        if (value.silentSince !== undefined) logger.warn({ peer: id, lastReportAt: at }, "peer's agent went silent");
      }
    },
  });
  return {
    watched: () => heard.size,
    stop() {
      stopped = true;
      watch.close();
      sweeper.stop();
    },
  };
}
