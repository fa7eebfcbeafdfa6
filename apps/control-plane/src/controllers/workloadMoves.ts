import { DrainScheduler, httpStatusFor, isDrainkitError, pages, type Clock, type Logger, type DrainSchedulerEvent, type PlannedMove, type TimerHandle } from "@drainkit/core";
import { moveEnded, type ChangeFeed, type DrainWriter, type MoveLedger, type Peer, type PeerReader, type Placement, type PlacementReader, type Principal, type WorkloadMove } from "@drainkit/registry";
import { supervise } from "./supervise.ts";
import { messageOf, MovePlannerState, type StallReport } from "./workloadMoves/MovePlannerState.ts";
import { plannedOf, rebuildFleet } from "./workloadMoves/rebuildFleet.ts";
import type { WorkloadMoveMetrics } from "./workloadMoves/WorkloadMoveMetrics.ts";

export type { WorkloadMoveMetrics };

/** Settings of {@link startWorkloadMoves}. */
export interface WorkloadMovesOptions {
  /** Reads peers and placements, plans, fails and cancels moves, says why a drain is stalled, follows the change feed. */
  readonly registry: PeerReader & PlacementReader & MoveLedger & DrainWriter & ChangeFeed;
  readonly clock: Clock;
  /** The control plane's own principal (needs mesh.operate). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** Unique per leadership term (e.g. replica id and election time): prefixes move ids, so a new leader never reuses one. */
  readonly term: string;
  /** Moves in flight off one draining peer at once. Default 10. */
  readonly batchSize?: number;
  /** A move still `starting` after this long is failed and planned again elsewhere. Default 60 s. */
  readonly moveTimeoutMs?: number;
  /** How often to plan again besides reacting to changes (failed moves, blocked drains). Default 1 s. */
  readonly tickMs?: number;
  /** Finished moves (done, failed, cancelled) are deleted this long after they finished. Default 1 h. */
  readonly retainMs?: number;
  /** A destination that failed a move takes no new one for this long, so the work goes elsewhere. Default 30 s. */
  readonly benchMs?: number;
  /** Hooks for move metrics (e.g. Prometheus series); without them the planner tracks nothing extra. */
  readonly metrics?: WorkloadMoveMetrics;
  /** Called when the change feed ends with an error: this planner is blind from then on (see {@link superviseWorkloadMoves}). */
  readonly onFeedLost?: (error: Error) => void;
}

/** The running drain scheduler. */
export interface WorkloadMoves {
  /** Moves this leader waits on (`starting`, planned or adopted). */
  inFlight(): readonly PlannedMove[];
  /** Where each workload is now, as the planner sees it. */
  placement(): ReadonlyMap<string, string>;
  stop(): void;
}

/**
 * The leader's drain scheduler: it runs core's {@link DrainScheduler} over the
 * fleet as the registry knows it (peers, their phases, and the workloads each
 * agent reports as its placement, `placement/<peer>`) and moves workloads off every
 * draining peer, owners first and then their children, a batch at a time, to
 * the least loaded schedulable peer.
 *
 * Each move is persisted (`moves/<id>`, audited) before anyone acts on it, and
 * runs make before break through the agents: the destination starts the
 * workload and reports `serving` (ownership flips there), then the source
 * stops its copy and reports `done`. The agent's own drain participant
 * counts the workloads still on the host, so the registry's drain completes
 * only once the host is empty.
 *
 * Nothing lives only here: a new leader after a failover rebuilds the
 * scheduler from the peers, the persisted drains and the persisted moves, and
 * adopts every move still `starting`, so none is planned twice or lost.
 *
 * A cancelled drain (the peer resumed while its workloads were moving)
 * unwinds: core's {@link DrainScheduler.resumeNode} names the drain's moves
 * not yet committed, and each ends `cancelled` (audited, on the feed); the
 * destination's agent stops the copy it started and the workload stays on
 * its source. A move whose destination already serves is not undone.
 */
export async function startWorkloadMoves(options: WorkloadMovesOptions): Promise<WorkloadMoves> {
  const { registry, clock, principal, logger } = options;
  const timeoutMs = options.moveTimeoutMs ?? 60_000;
  const tickMs = options.tickMs ?? 1000;
  const retainMs = options.retainMs ?? 3_600_000;
  let stopped = false;
  let ready = false;
  // Declared before the first await: changes buffered during the rebuild call schedule() as soon as it ends.
  let planning: Promise<void> | undefined;
  let again = false;
  let soon: TimerHandle | undefined;
  const buffered: (() => void)[] = [];

  const onEvent = (e: DrainSchedulerEvent): void => {
    if (e.type === "fleet-drain-failed") logger.warn({ peer: e.target, epoch: e.epoch, reason: e.reason, remaining: e.remaining }, "workload moves for this drain stopped");
    else if (e.type === "fleet-drain-completed") logger.info({ peer: e.target, epoch: e.epoch }, "every workload moved off");
  };

  // Watch first, then read: a change between the two is seen by one or the other, and versions drop the replays.
  const { revision } = await registry.listPeers(principal, { limit: 1 });
  const watch = registry.watchAll(
    revision,
    (change) => {
      if (stopped) return;
      const apply = (): void => {
        if (change.kind === "peer") {
          if (!state.onPeer(change.id, change.value as Peer | undefined)) return;
        } else if (change.kind === "move") state.onMove(change.value as WorkloadMove | undefined);
        else if (change.kind === "placement") state.onPlacement(change.id, change.value);
        else return;
        schedule();
      };
      if (ready) apply();
      else buffered.push(apply);
    },
    (error) => {
      logger.error({ err: error.message }, "drain scheduler lost the change feed");
      if (!stopped) options.onFeedLost?.(error);
    },
  );

  const peers: Peer[] = [];
  for await (const page of pages((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor === undefined ? {} : { cursor }) }))) peers.push(...page.items);
  // Read after the peers: a placement of a peer registered since is applied once its peer change arrives.
  const placements = new Map<string, Placement>();
  for (const p of await registry.listPlacements(principal)) placements.set(p.peer, p);
  const allMoves = await registry.listMoves(principal);
  const moves = allMoves.filter((m) => m.state === "starting" || m.state === "serving");
  const fleet = rebuildFleet(peers, placements, allMoves);
  const scheduler = new DrainScheduler({
    clock,
    fleet: {
      // Nothing is benched yet: a peer takes work when active.
      nodes: peers.map((p) => ({ id: p.id, pools: p.pools, phase: p.phase, schedulable: fleet.phases.get(p.id) === "active" })),
      workloads: [...fleet.at].filter(([, w]) => fleet.peerVersions.has(w.node)).map(([id, w]) => ({ id, node: w.node, ...(w.owner === undefined ? {} : { owner: w.owner }) })),
    },
    batchSize: options.batchSize ?? 10,
    // The registry's capacity guard already admitted every drain; the planner does not limit them again.
    maxDrainsPerScope: Number.MAX_SAFE_INTEGER,
    awaitIdleReport: false,
    movePrefix: `${options.term}-`,
    events: { emit: onEvent },
  });
  // Changes reach it only once the rebuild is done (`ready`); until then they are buffered.
  const state = new MovePlannerState(
    {
      scheduler,
      clock,
      logger,
      timeoutMs,
      benchMs: options.benchMs ?? 30_000,
      metrics: options.metrics,
      hooks: { failMove: (id, reason) => void failMove(id, reason), cancelMove: (id, reason) => void cancelMove(id, reason), schedule: () => schedule(), stopped: () => stopped },
    },
    fleet,
    placements,
  );
  for (const m of moves) state.track(m);
  for (const m of moves) {
    state.seenMove(m);
    if (m.state !== "starting") continue;
    if (scheduler.adoptMove(plannedOf(m))) state.wait(plannedOf(m), Math.max(0, m.createdAt + timeoutMs - clock.now()));
    else void failMove(m.id, "its workload or peers changed before a new leader could adopt it");
  }
  // After the adoption: a drain resumed while no leader ran (or before the old one cancelled its moves)
  // has its adopted moves cancelled now. A move cancelled in the store is never adopted: it is not `starting`.
  for (const p of peers) state.syncDrain(p);
  logger.info({ peers: peers.length, workloads: fleet.at.size, adopted: state.waitingCount, drains: scheduler.activeDrains }, "drain scheduler rebuilt from the registry");
  ready = true;
  options.metrics?.inFlight(state.activeCount());
  for (const apply of buffered.splice(0)) apply();

  async function failMove(id: string, reason: string): Promise<void> {
    if (stopped) return;
    try {
      await registry.reportMove(principal, id, { state: "failed", reason }, { idempotencyKey: `move-failed:${id}`, reason });
    } catch (error) {
      // Already serving (the destination won the race) or gone: the change feed tells which.
      logger.debug({ move: id, err: messageOf(error) }, "could not fail the move");
    }
  }

  /** Cancels a move of a cancelled drain; retried while the store is in trouble, never after the registry answered. */
  async function cancelMove(id: string, reason: string): Promise<void> {
    if (stopped) return;
    try {
      await registry.cancelMove(principal, id, { reason }, { idempotencyKey: `move-cancelled:${id}`, reason });
    } catch (error) {
      if (isDrainkitError(error) && httpStatusFor(error.code) < 500) {
        // Already serving (the destination won the race: it stays committed) or gone: the change feed tells which.
        logger.debug({ move: id, err: messageOf(error) }, "could not cancel the move");
        return;
      }
      logger.warn({ move: id, err: messageOf(error) }, "could not cancel the move; retrying");
      clock.setTimer(tickMs, () => void cancelMove(id, reason));
    }
  }

  function schedule(): void {
    if (stopped || soon !== undefined) return;
    soon = clock.setTimer(0, () => {
      soon = undefined;
      void plan();
    });
  }

  /** One scheduling step: the moves it returns are persisted before any agent acts on them. */
  async function plan(): Promise<void> {
    if (planning !== undefined) {
      again = true;
      return planning;
    }
    planning = (async () => {
      do {
        again = false;
        state.retryPendingDrains();
        const moves = scheduler.tick();
        for (const r of state.stallReports()) void recordStall(r);
        if (stopped) return;
        // All at once: the registry commits the mutations queued in one tick as one transaction, so a
        // step's moves cost one commit (one fsync on SQLite) instead of one each, in the same order.
        await Promise.all(moves.map((m) => record(m)));
      } while (again && !stopped);
    })().finally(() => {
      planning = undefined;
    });
    return planning;
  }

  /**
   * Persists one planned move (`planMove`, audited); a move the registry refuses is planned again later. No
   * Idempotency-Key: the move id is one already (a replayed plan of the same id is a no-op, another plan under it
   * is refused), and a record per move would cost more bytes than the move itself.
   */
  async function record(m: PlannedMove): Promise<void> {
    state.wait(m, timeoutMs);
    try {
      const owner = state.ownerOf(m);
      await registry.planMove(
        principal,
        { id: m.id, workload: m.workload, tier: m.tier, from: m.from, to: m.to, ...(owner === undefined ? {} : { owner }), ...(m.drain === undefined ? {} : { drain: m.drain }) },
        { reason: m.drain === undefined ? "balance" : `drain of ${m.drain.target} (epoch ${m.drain.epoch})` },
      );
    } catch (error) {
      state.settle(m.id);
      scheduler.moveFailed(m, messageOf(error));
      logger.warn({ move: m.id, err: messageOf(error), code: isDrainkitError(error) ? error.code : undefined }, "could not record a planned move; planning it again later");
    }
  }

  /** Records on the drain why it makes no progress (or that it moves again). */
  async function recordStall({ id, epoch, reason, workloads }: StallReport): Promise<void> {
    if (stopped) return;
    try {
      await registry.reportDrainStalled(principal, id, { epoch, ...(reason === undefined ? {} : { reason, workloads }) }, { reason: reason ?? "workloads move again" });
    } catch (error) {
      logger.warn({ peer: id, epoch, err: messageOf(error) }, "could not record why the drain is stalled");
    }
  }

  /** Deletes finished moves older than `before`, a bounded batch per transaction, until none is left. */
  async function prune(before: number): Promise<void> {
    // Look first, so an idle fleet does not write an audit entry a minute for nothing.
    const due = (await registry.listMoves(principal)).some((m) => moveEnded(m) && m.updatedAt < before);
    if (!due) return;
    for (let round = 0; round < 400 && !stopped; round++) {
      const { value } = await registry.pruneMoves(principal, { before }, { reason: "finished moves past retention" });
      if (value.deleted === 0 || value.remaining === 0) return;
    }
  }

  let lastPrune = clock.now();
  let ticker: TimerHandle | undefined;
  const loop = (): void => {
    ticker = clock.setTimer(tickMs, () => {
      if (stopped) return;
      void plan().finally(() => {
        if (clock.now() - lastPrune >= Math.min(retainMs, 60_000)) {
          lastPrune = clock.now();
          void prune(clock.now() - retainMs).catch((error: unknown) => logger.warn({ err: messageOf(error) }, "could not prune finished moves"));
        }
        loop();
      });
    });
  };
  loop();
  schedule();

  return {
    inFlight: () => state.waiting(),
    placement: () => new Map(scheduler.placement().map((w) => [w.id, w.node])),
    stop() {
      stopped = true;
      watch.close();
      if (ticker !== undefined) clock.clearTimer(ticker);
      if (soon !== undefined) clock.clearTimer(soon);
      state.stop();
    },
  };
}

/**
 * {@link startWorkloadMoves}, restarted from the store whenever its change
 * feed ends with an error (see {@link supervise}): the new incarnation
 * rebuilds from the persisted drains and moves and adopts the moves in
 * flight, exactly as after a leader failover. Each incarnation plans under
 * its own term (`<term>.<n>`), so move ids never clash.
 */
export async function superviseWorkloadMoves(options: WorkloadMovesOptions & { readonly restartDelayMs?: number }): Promise<WorkloadMoves> {
  const supervised = await supervise("workload moves", options, (n, onFeedLost) =>
    startWorkloadMoves({
      ...options,
      term: `${options.term}.${n}`,
      onFeedLost: (error) => {
        options.onFeedLost?.(error);
        onFeedLost(error);
      },
    }),
  );
  return {
    inFlight: () => supervised.current()?.inFlight() ?? [],
    placement: () => supervised.current()?.placement() ?? new Map(),
    stop: () => supervised.stop(),
  };
}
