import { DrainScheduler, isDrainkitError, type Clock, type Logger, type DrainSchedulerEvent, type PlannedMove, type TimerHandle } from "@drainkit/core";
import type { MoveState, Peer, Placement, Principal, Registry, WorkloadMove } from "@drainkit/registry";
import { supervise } from "./supervise.ts";

/** Settings of {@link startWorkloadMoves}. */
export interface WorkloadMovesOptions {
  readonly registry: Registry;
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
  /** Finished moves (done, failed) are deleted this long after they finished. Default 1 h. */
  readonly retainMs?: number;
  /** A destination that failed a move takes no new one for this long, so the work goes elsewhere. Default 30 s. */
  readonly benchMs?: number;
  /** Hooks for move metrics (e.g. Prometheus series); without them the planner tracks nothing extra. */
  readonly metrics?: WorkloadMoveMetrics;
  /** Called when the change feed ends with an error: this planner is blind from then on (see {@link superviseWorkloadMoves}). */
  readonly onFeedLost?: (error: Error) => void;
}

/**
 * What the planner reports about workload moves, as its change feed shows
 * them: every move active (`starting` or `serving`) when it started or
 * created since, whoever planned it. Only the leader runs a planner, so only
 * the leader feeds these; a planner that stops reports 0 in flight.
 *
 * @example
 * const metrics: WorkloadMoveMetrics = {
 *   inFlight: (n) => prom.workloadMovesInFlight.set(n),
 *   serving: (s) => prom.workloadMoveDuration.observe(s),
 *   ended: (outcome) => prom.workloadMoves.inc({ outcome }),
 * };
 */
export interface WorkloadMoveMetrics {
  /** Moves `starting` or `serving` now; called whenever that number may have changed. */
  inFlight(count: number): void;
  /** A move's destination serves the workload, `seconds` after the move was planned (the persisted timestamps). */
  serving(seconds: number): void;
  /** A move ended: `done` (the source stopped its copy) or `failed`. */
  ended(outcome: "done" | "failed"): void;
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
 */
export async function startWorkloadMoves(options: WorkloadMovesOptions): Promise<WorkloadMoves> {
  const { registry, clock, principal, logger } = options;
  const timeoutMs = options.moveTimeoutMs ?? 60_000;
  const tickMs = options.tickMs ?? 1000;
  const retainMs = options.retainMs ?? 3_600_000;
  const benchMs = options.benchMs ?? 30_000;
  /** Peers set aside after a failed move, until the timer runs out. */
  const benched = new Map<string, TimerHandle>();
  /** Each peer's last known phase. */
  const phases = new Map<string, string>();
  const takesWork = (id: string): boolean => phases.get(id) === "active" && !benched.has(id);
  let stopped = false;
  let ready = false;
  // Declared before the first await: changes buffered during the rebuild call schedule() as soon as it ends.
  let planning: Promise<void> | undefined;
  let again = false;
  let soon: TimerHandle | undefined;
  const buffered: (() => void)[] = [];
  /** Moves this leader waits on, with their timeout. */
  const waiting = new Map<string, { move: PlannedMove; timer: TimerHandle }>();
  /** Last peer version and move generation applied: replayed history never moves state back. */
  const peerVersions = new Map<string, number>();
  const moveGenerations = new Map<string, number>();
  /** What each peer last reported it holds. */
  const reported = new Map<string, ReadonlySet<string>>();
  /** Each peer's latest placement seen, and the version the scheduler has applied: replays never move it back. */
  const placements = new Map<string, Placement>();
  const appliedPlacement = new Map<string, number>();
  /** Drains the scheduler refused for now (e.g. no other schedulable peer): retried on each tick. */
  const pendingDrains = new Map<string, { epoch: number; deadline: number }>();
  /** Peers the scheduler holds a drain for (until resumed). */
  const draining = new Set<string>();
  /** Drains said to be stalled, with what was said (declared before the rebuild: buffered changes may touch it). */
  const blockedSaid = new Map<string, { epoch: number; key: string }>();
  /** A child workload's owner, for the persisted move. */
  const owners = new Map<string, string>();

  /** Active moves by id and last state seen, only when someone listens to the metrics. */
  const active = options.metrics === undefined ? undefined : new Map<string, MoveState>();

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
        if (change.kind === "peer") onPeer(change.id, change.value as Peer | undefined);
        else if (change.kind === "move") onMove(change.value as WorkloadMove | undefined);
        else if (change.kind === "placement") onPlacement(change.id, change.value);
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
  let cursor: string | undefined;
  do {
    const page = await registry.listPeers(principal, { limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    peers.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  // Read after the peers: a placement of a peer registered since is applied once its peer change arrives.
  for (const p of await registry.listPlacements(principal)) placements.set(p.peer, p);
  const allMoves = await registry.listMoves(principal);
  const moves = allMoves.filter((m) => m.state === "starting" || m.state === "serving");

  // Where each workload is. Agents report placement on a heartbeat, so a report
  // may predate the workload's latest move: a move newer than a peer's report
  // wins over it (`serving` / `done`: at its destination; `starting` /
  // `failed`: at its source), or a workload that just moved would be moved
  // again off its old host and run twice.
  const latest = new Map<string, WorkloadMove>();
  for (const m of allMoves) {
    const seen = latest.get(m.workload);
    if (seen === undefined || m.updatedAt > seen.updatedAt || (m.updatedAt === seen.updatedAt && m.generation > seen.generation)) latest.set(m.workload, m);
  }
  const at = new Map<string, { node: string; owner?: string }>();
  for (const m of latest.values()) if (m.state === "starting" || m.state === "serving") at.set(m.workload, { node: m.state === "serving" ? m.to : m.from, ...(m.owner === undefined ? {} : { owner: m.owner }) });
  for (const m of moves) if (m.owner !== undefined) owners.set(m.workload, m.owner);
  if (active !== undefined) for (const m of moves) active.set(m.id, m.state);
  for (const p of peers) {
    peerVersions.set(p.id, p.version);
    phases.set(p.id, p.phase);
    const placement = placements.get(p.id);
    const held = placement?.items ?? [];
    reported.set(p.id, new Set(held.map((w) => w.id)));
    appliedPlacement.set(p.id, placement?.version ?? 0);
    // The list was last rewritten then (a heartbeat repeating it writes nothing): any move since is newer news.
    const reportedAt = placement?.updatedAt ?? 0;
    for (const w of held) {
      if (w.owner !== undefined) owners.set(w.id, w.owner);
      if (at.has(w.id)) continue;
      const m = latest.get(w.id);
      const movedSince = m !== undefined && m.updatedAt >= reportedAt;
      const there = m === undefined ? p.id : m.state === "done" || m.state === "serving" ? m.to : m.from;
      // A stale report of a workload that has since moved elsewhere places it where the move put it.
      at.set(w.id, { node: movedSince ? there : p.id, ...(w.owner === undefined ? {} : { owner: w.owner }) });
    }
  }
  const scheduler = new DrainScheduler({
    clock,
    fleet: {
      nodes: peers.map((p) => ({ id: p.id, pools: p.pools, phase: p.phase, schedulable: takesWork(p.id) })),
      workloads: [...at].filter(([, w]) => peerVersions.has(w.node)).map(([id, w]) => ({ id, node: w.node, ...(w.owner === undefined ? {} : { owner: w.owner }) })),
    },
    batchSize: options.batchSize ?? 10,
    // The registry's capacity guard already admitted every drain; the planner does not limit them again.
    maxDrainsPerScope: Number.MAX_SAFE_INTEGER,
    awaitIdleReport: false,
    movePrefix: `${options.term}-`,
    events: { emit: onEvent },
  });
  for (const p of peers) syncDrain(p);
  for (const m of moves) {
    moveGenerations.set(m.id, m.generation);
    if (m.state !== "starting") continue;
    if (scheduler.adoptMove(plannedOf(m))) wait(plannedOf(m), Math.max(0, m.createdAt + timeoutMs - clock.now()));
    else void failMove(m.id, "its workload or peers changed before a new leader could adopt it");
  }
  logger.info({ peers: peers.length, workloads: at.size, adopted: waiting.size, drains: scheduler.activeDrains }, "drain scheduler rebuilt from the registry");
  ready = true;
  options.metrics?.inFlight(active?.size ?? 0);
  for (const apply of buffered.splice(0)) apply();

  function onPeer(id: string, peer: Peer | undefined): void {
    if (peer === undefined) {
      // A peer that left keeps nothing: its moves in flight fail and its workloads are no longer tracked.
      peerVersions.delete(id);
      phases.delete(id);
      draining.delete(id);
      blockedSaid.delete(id);
      if (scheduler.isSchedulable(id)) scheduler.setSchedulable(id, false);
      return;
    }
    if ((peerVersions.get(id) ?? -1) >= peer.version) return;
    const known = peerVersions.has(id);
    peerVersions.set(id, peer.version);
    phases.set(id, peer.phase);
    if (!known) scheduler.addNode({ id, pools: peer.pools, phase: peer.phase, schedulable: takesWork(id) });
    else scheduler.setPools(id, peer.pools);
    syncDrain(peer);
    // A placement that arrived before its peer was known is applied now.
    syncPlacement(id);
  }

  function onPlacement(id: string, placement: Placement | undefined): void {
    if (placement === undefined || (placements.get(id)?.version ?? -1) >= placement.version) return;
    placements.set(id, placement);
    if (peerVersions.has(id)) syncPlacement(id);
  }

  function syncDrain(peer: Peer): void {
    const drain = peer.spec.drain;
    if (drain !== undefined && peer.phase === "draining") {
      const current = scheduler.status(peer.id);
      if (current?.record.epoch !== drain.epoch) startDrain(peer.id, drain.epoch, drain.deadline);
    } else {
      pendingDrains.delete(peer.id);
      // The registry failed the drain (deadline, agent failure): stop moving work off it; the peer stays quiesced.
      const current = scheduler.status(peer.id);
      if (drain !== undefined && peer.phase === "failed" && current?.status === "draining") scheduler.failDrain(peer.id, current.record.epoch, peer.status?.reason ?? "the drain failed");
      // Resumed (or the drain ended without one): the peer takes placements again if it is active.
      if (drain === undefined && scheduler.status(peer.id) !== undefined) {
        scheduler.resumeNode(peer.id);
        draining.delete(peer.id);
      }
    }
    scheduler.setSchedulable(peer.id, takesWork(peer.id));
  }

  /** Sets a destination that failed a move aside for a while. */
  function bench(id: string, reason: string): void {
    if (stopped || !phases.has(id)) return;
    const current = benched.get(id);
    if (current !== undefined) clock.clearTimer(current);
    else logger.warn({ peer: id, forMs: benchMs, reason }, "peer failed a workload move; no new moves onto it for a while");
    benched.set(
      id,
      clock.setTimer(benchMs, () => {
        benched.delete(id);
        if (phases.has(id)) scheduler.setSchedulable(id, takesWork(id));
        schedule();
      }),
    );
    scheduler.setSchedulable(id, false);
  }

  function startDrain(target: string, epoch: number, deadline: number): void {
    try {
      const started = scheduler.startDrain({ target, epoch, deadline });
      pendingDrains.delete(target);
      draining.add(target);
      if (started.outcome === "started") logger.info({ peer: target, epoch, workloads: scheduler.loadOf(target) }, "moving workloads off a draining peer");
    } catch (error) {
      if (!pendingDrains.has(target)) logger.warn({ peer: target, epoch, err: messageOf(error) }, "cannot move workloads off this peer yet; retrying");
      pendingDrains.set(target, { epoch, deadline });
    }
  }

  /** New workloads a peer reports join the plan; ones it stopped reporting (and that are not moving) leave it. */
  function syncPlacement(peerId: string): void {
    const placement = placements.get(peerId);
    if (placement === undefined || (appliedPlacement.get(peerId) ?? -1) >= placement.version) return;
    appliedPlacement.set(peerId, placement.version);
    const held = placement.items;
    const before = reported.get(peerId) ?? new Set<string>();
    const now = new Set(held.map((w) => w.id));
    reported.set(peerId, now);
    for (const w of held) {
      if (scheduler.ownerOf(w.id) !== undefined) continue;
      if (w.owner !== undefined) owners.set(w.id, w.owner);
      scheduler.addWorkload({ id: w.id, node: peerId, ...(w.owner === undefined ? {} : { owner: w.owner }) });
    }
    let moving: Set<string> | undefined;
    for (const id of before) {
      if (now.has(id) || scheduler.ownerOf(id) !== peerId) continue;
      moving ??= new Set([...waiting.values()].map((w) => w.move.workload));
      if (moving.has(id)) continue;
      scheduler.removeWorkload(id);
      owners.delete(id);
    }
  }

  function onMove(move: WorkloadMove | undefined): void {
    if (move === undefined) return;
    if ((moveGenerations.get(move.id) ?? -1) >= move.generation) return;
    moveGenerations.set(move.id, move.generation);
    if (active !== undefined) observe(active, move);
    const mine = waiting.get(move.id);
    if (mine === undefined) return; // not this leader's (an older term's move that finished, or a deleted one)
    if (move.state === "serving") {
      settle(move.id);
      scheduler.moveCommitted(mine.move);
      logger.info({ move: move.id, workload: move.workload, from: move.from, to: move.to }, "workload serves on its destination");
    } else if (move.state === "failed") {
      settle(move.id);
      scheduler.moveFailed(mine.move, move.reason ?? "move failed");
      bench(move.to, move.reason ?? "move failed");
      logger.warn({ move: move.id, workload: move.workload, from: move.from, to: move.to, reason: move.reason }, "workload move failed; it stays on its source and is planned again");
    }
  }

  /** Feeds the metrics hooks from one new move generation; moves that ended before the planner started are not counted. */
  function observe(tracked: Map<string, MoveState>, move: WorkloadMove): void {
    const metrics = options.metrics!;
    const before = tracked.get(move.id);
    if (move.state === "starting" || move.state === "serving") {
      // A missed `starting` (compacted history) still counts the serving.
      if (move.state === "serving" && before !== "serving") metrics.serving(Math.max(0, move.updatedAt - move.createdAt) / 1000);
      tracked.set(move.id, move.state);
    } else {
      if (before === undefined) return;
      tracked.delete(move.id);
      metrics.ended(move.state);
    }
    metrics.inFlight(tracked.size);
  }

  function wait(move: PlannedMove, ms: number): void {
    const timer = clock.setTimer(ms, () => void failMove(move.id, `destination ${move.to} did not serve it within ${timeoutMs} ms`));
    waiting.set(move.id, { move, timer });
  }

  function settle(id: string): void {
    const w = waiting.get(id);
    if (w !== undefined) clock.clearTimer(w.timer);
    waiting.delete(id);
  }

  async function failMove(id: string, reason: string): Promise<void> {
    if (stopped) return;
    try {
      await registry.reportMove(principal, id, { state: "failed", reason }, { idempotencyKey: `move-failed:${id}`, reason });
    } catch (error) {
      // Already serving (the destination won the race) or gone: the change feed tells which.
      logger.debug({ move: id, err: messageOf(error) }, "could not fail the move");
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
        for (const [target, d] of [...pendingDrains]) startDrain(target, d.epoch, d.deadline);
        const moves = scheduler.tick();
        reportBlocked();
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

  /** Persists one planned move (`planMove`, audited); a move the registry refuses is planned again later. */
  async function record(m: PlannedMove): Promise<void> {
    wait(m, timeoutMs);
    try {
      await registry.planMove(
        principal,
        { id: m.id, workload: m.workload, tier: m.tier, from: m.from, to: m.to, ...(ownerOf(m) === undefined ? {} : { owner: ownerOf(m)! }), ...(m.drain === undefined ? {} : { drain: m.drain }) },
        { idempotencyKey: `move:${m.id}`, reason: m.drain === undefined ? "balance" : `drain of ${m.drain.target} (epoch ${m.drain.epoch})` },
      );
    } catch (error) {
      settle(m.id);
      scheduler.moveFailed(m, messageOf(error));
      logger.warn({ move: m.id, err: messageOf(error), code: isDrainkitError(error) ? error.code : undefined }, "could not record a planned move; planning it again later");
    }
  }

  /**
   * Says once, loudly, when a drain's workloads have nowhere to go, and records
   * it on the drain (`spec.drain.stalled`, shown as the drain's reason and
   * blocking workloads to operators), clearing it once the work moves again.
   */
  function reportBlocked(): void {
    // Only peers with a drain can be stalled: runs on every step, so it must not walk the whole fleet.
    for (const id of new Set([...draining, ...blockedSaid.keys()])) {
      const st = scheduler.status(id);
      const said = blockedSaid.get(id);
      if (st?.status === "draining" && st.reason !== undefined) {
        const key = `${st.reason}\u0000${(st.blocking ?? []).join(",")}`;
        if (said?.key === key && said.epoch === st.record.epoch) continue;
        if (said === undefined) logger.warn({ peer: id, epoch: st.record.epoch, reason: st.reason, blocking: st.blocking, remaining: st.remaining }, "workloads of a draining peer have nowhere to go");
        blockedSaid.set(id, { epoch: st.record.epoch, key });
        void recordStall(id, st.record.epoch, st.reason, st.blocking ?? []);
      } else if (said !== undefined) {
        blockedSaid.delete(id);
        if (st?.status === "draining") logger.info({ peer: id, epoch: said.epoch }, "workloads of a draining peer can move again");
        void recordStall(id, said.epoch, undefined, []);
      }
    }
  }

  async function recordStall(id: string, epoch: number, reason: string | undefined, workloads: readonly string[]): Promise<void> {
    if (stopped) return;
    try {
      await registry.reportDrainStalled(principal, id, { epoch, ...(reason === undefined ? {} : { reason, workloads }) }, { reason: reason ?? "workloads move again" });
    } catch (error) {
      logger.warn({ peer: id, epoch, err: messageOf(error) }, "could not record why the drain is stalled");
    }
  }

  function ownerOf(m: PlannedMove): string | undefined {
    return m.tier === "child" ? owners.get(m.workload) : undefined;
  }

  /** Deletes finished moves older than `before`, a bounded batch per transaction, until none is left. */
  async function prune(before: number): Promise<void> {
    // Look first, so an idle fleet does not write an audit entry a minute for nothing.
    const due = (await registry.listMoves(principal)).some((m) => (m.state === "done" || m.state === "failed") && m.updatedAt < before);
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
    inFlight: () => [...waiting.values()].map((w) => w.move),
    placement: () => new Map(scheduler.placement().map((w) => [w.id, w.node])),
    stop() {
      stopped = true;
      watch.close();
      if (ticker !== undefined) clock.clearTimer(ticker);
      for (const t of benched.values()) clock.clearTimer(t);
      benched.clear();
      if (soon !== undefined) clock.clearTimer(soon);
      for (const id of [...waiting.keys()]) settle(id);
      // A replica that no longer leads waits on no move.
      active?.clear();
      options.metrics?.inFlight(0);
    },
  };
}

function plannedOf(m: WorkloadMove): PlannedMove {
  return { id: m.id, workload: m.workload, tier: m.tier, from: m.from, to: m.to, ...(m.drain === undefined ? {} : { drain: m.drain }) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
