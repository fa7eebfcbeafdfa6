import type { Clock, Logger, TimerHandle } from "@drainkit/core";
import type { ChangeFeed, DrainReader, DrainWriter, Peer, PeerReader, Principal } from "@drainkit/registry";

/** Settings of {@link startDrainDeadlines}. */
export interface DrainDeadlinesOptions {
  /** Watches peers and drains, and reports a drain past its deadline as failed. */
  readonly registry: PeerReader & DrainReader & DrainWriter & ChangeFeed;
  readonly clock: Clock;
  /** The control plane's own principal (needs mesh.operate). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** Told how many drains are being tracked, after every change. */
  readonly onTracked?: (count: number) => void;
  /** Called when the change feed ends with an error; the controller is blind from then on (restart it). */
  readonly onFeedLost?: (error: Error) => void;
}

/** A running deadline controller. */
export interface DrainDeadlines {
  /** Drains currently tracked, by peer: the epoch and its deadline. */
  tracked(): ReadonlyMap<string, { readonly epoch: number; readonly deadline: number }>;
  stop(): void;
}

/**
 * The drain scheduler's leader-only half: it follows every drain in
 * flight, and one that misses its deadline is failed, loudly, so the node
 * stays quiesced for an operator instead of hanging in `draining` forever. State is rebuilt from the
 * persisted drain records on each start, so a new leader after a failover
 * resumes every drain the old one was watching, with the same epochs.
 *
 * Failing is written with an idempotency key derived from peer and epoch:
 * if two leaders overlap for a moment, the second write is a replay and the
 * audit log gets one entry for the one real change.
 */
export async function startDrainDeadlines(options: DrainDeadlinesOptions): Promise<DrainDeadlines> {
  const { registry, clock, principal, logger } = options;
  const timers = new Map<string, { epoch: number; deadline: number; timer: TimerHandle }>();
  let stopped = false;

  const untrack = (peer: string): void => {
    const t = timers.get(peer);
    if (t) clock.clearTimer(t.timer);
    timers.delete(peer);
  };
  const track = (peer: string, epoch: number, deadline: number): void => {
    const current = timers.get(peer);
    if (current && current.epoch === epoch && current.deadline === deadline) return;
    untrack(peer);
    const timer = clock.setTimer(Math.max(0, deadline - clock.now()), () => void expire(peer, epoch));
    timers.set(peer, { epoch, deadline, timer });
    options.onTracked?.(timers.size);
  };
  const expire = async (peer: string, epoch: number): Promise<void> => {
    if (stopped) return;
    try {
      const status = await registry.drainStatus(principal, peer);
      if (status.epoch !== epoch || status.status === "drained" || status.status === "none") return;
      // Reads show a drain past its deadline as failed already; this write makes it so in the
      // store, with the real reason, audited and on the event feed, once (the key is per epoch).
      const { peer: current } = await registry.getPeer(principal, peer);
      const requestedAt = current.spec.drain?.requestedAt ?? 0;
      const heard = current.status !== undefined && current.status.heartbeatAt >= requestedAt;
      const { inFlight, owners, children } = status.remaining;
      const blocking = status.blocking?.length ? ` (blocking: ${status.blocking.join(", ")})` : "";
      const reason = heard
        ? `drain deadline passed with ${inFlight} in flight, ${owners} owners, ${children} children left${blocking}`
        : "agent-unreachable: the drain deadline passed with no report from the host's agent since the drain started";
      await registry.failDrain(principal, peer, { epoch, reason }, { idempotencyKey: `drain-deadline:${peer}:${epoch}`, reason: "drain deadline passed" });
      logger.warn({ peer, epoch, remaining: status.remaining, reason }, "drain missed its deadline; failed it");
    } catch (e) {
      logger.error({ peer, epoch, err: e instanceof Error ? e.message : String(e) }, "could not fail an expired drain; retrying");
      if (!stopped) {
        const t = clock.setTimer(1000, () => void expire(peer, epoch));
        timers.set(peer, { epoch, deadline: clock.now(), timer: t });
      }
      return;
    }
    if (timers.get(peer)?.epoch === epoch) untrack(peer);
    options.onTracked?.(timers.size);
  };
  const observe = (peer: Peer | undefined, id: string): void => {
    const drain = peer?.spec.drain;
    if (peer && drain && peer.phase === "draining") track(id, drain.epoch, drain.deadline);
    else if (timers.has(id)) {
      logger.info({ peer: id, epoch: timers.get(id)!.epoch, phase: peer?.phase ?? "deleted" }, "drain finished");
      untrack(id);
      options.onTracked?.(timers.size);
    }
  };

  // Watch first, then rebuild: a drain requested between the two is seen by one or the other.
  const { revision } = await registry.listPeers(principal, { limit: 1 });
  const watch = registry.watch(
    revision,
    (change) => {
      if (change.kind === "peer" && !stopped) observe(change.value as Peer | undefined, change.id);
    },
    (error) => {
      logger.error({ err: error.message }, "drain deadline controller lost the change feed");
      if (!stopped) options.onFeedLost?.(error);
    },
  );
  for (const record of await registry.drainRecords()) {
    // A drain read as failed but never written so (the old leader died at its deadline) is failed here.
    if (record.status === "draining" || (record.status === "failed" && record.request.failure === undefined)) track(record.peer, record.request.epoch, record.request.deadline);
  }
  logger.info({ drains: timers.size }, "drain deadlines rebuilt from the persisted drain records");
  options.onTracked?.(timers.size);

  return {
    tracked: () => new Map([...timers].map(([k, v]) => [k, { epoch: v.epoch, deadline: v.deadline }])),
    stop() {
      stopped = true;
      watch.close();
      for (const peer of [...timers.keys()]) untrack(peer);
    },
  };
}
