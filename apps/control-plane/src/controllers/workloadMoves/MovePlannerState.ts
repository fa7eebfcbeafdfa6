import type { Clock, DrainScheduler, Logger, PlannedMove, TimerHandle } from "@drainkit/core";
import type { MoveState, Peer, Placement, WorkloadMove } from "@drainkit/registry";
import type { WorkloadMoveMetrics } from "./WorkloadMoveMetrics.ts";
import type { RebuiltFleet } from "./rebuildFleet.ts";

/** What the state asks of its planner: it never writes to the registry itself. */
export interface MovePlannerHooks {
  /** Fails a move in the registry (its timeout ran out, or a new leader could not adopt it). */
  failMove(id: string, reason: string): void;
  /** Cancels a move in the registry (its drain was cancelled before the destination served it). */
  cancelMove(id: string, reason: string): void;
  /** Plans again soon. */
  schedule(): void;
  stopped(): boolean;
}

export interface MovePlannerStateOptions {
  readonly scheduler: DrainScheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly benchMs: number;
  readonly metrics: WorkloadMoveMetrics | undefined;
  readonly hooks: MovePlannerHooks;
}

/** A drain's stall as the registry is to be told it: a reason sets it, none clears it. */
export interface StallReport {
  readonly id: string;
  readonly epoch: number;
  readonly reason?: string;
  readonly workloads: readonly string[];
}

/**
 * Everything of a peer that {@link MovePlannerState.onPeer} reads: its phase
 * (whether it takes work, its drain starting, failing or ending), its pools,
 * its drain's epoch and deadline, and the reason of a failed drain. A change
 * that leaves all of it as it was (a status report, a label) changes nothing
 * in the scheduler, so it needs no scheduling step.
 */
function plannerInputs(peer: Peer): string {
  const drain = peer.spec.drain;
  return `${peer.phase}\u0000${peer.pools.join(",")}\u0000${drain === undefined ? "" : `${drain.epoch}:${drain.deadline}`}\u0000${peer.phase === "failed" ? (peer.status?.reason ?? "") : ""}`;
}

/**
 * What the leader's move planner knows between steps, and how each change of
 * the feed (a peer, a placement, a move) updates it and core's
 * {@link DrainScheduler}. Versions and generations make replays no-ops.
 */
export class MovePlannerState {
  readonly #o: MovePlannerStateOptions;
  readonly #scheduler: DrainScheduler;
  /** Peers set aside after a failed move, until the timer runs out. */
  readonly #benched = new Map<string, TimerHandle>();
  readonly #phases: Map<string, string>;
  readonly #peerVersions: Map<string, number>;
  /** What {@link onPeer} last acted on for each peer (see {@link plannerInputs}). */
  readonly #inputs = new Map<string, string>();
  readonly #moveGenerations = new Map<string, number>();
  readonly #reported: Map<string, ReadonlySet<string>>;
  /** Each peer's latest placement seen, and the version the scheduler has applied: replays never move it back. */
  readonly #placements: Map<string, Placement>;
  readonly #appliedPlacement: Map<string, number>;
  /** Drains the scheduler refused for now (e.g. no other schedulable peer): retried on each step. */
  readonly #pendingDrains = new Map<string, { epoch: number; deadline: number }>();
  /** Peers the scheduler holds a drain for (until resumed). */
  readonly #draining = new Set<string>();
  /** Drains said to be stalled, with what was said. */
  readonly #blockedSaid = new Map<string, { epoch: number; key: string }>();
  readonly #owners: Map<string, string>;
  /** Moves this leader waits on, with their timeout. */
  readonly #waiting = new Map<string, { move: PlannedMove; timer: TimerHandle }>();
  /** Moves cancelled here (their drain was cancelled) until the registry says how they ended. */
  readonly #cancelling = new Map<string, PlannedMove>();
  /** Active moves by id and last state seen, only when someone listens to the metrics. */
  readonly #active: Map<string, MoveState> | undefined;

  constructor(options: MovePlannerStateOptions, fleet: RebuiltFleet, placements: Map<string, Placement>) {
    this.#o = options;
    this.#scheduler = options.scheduler;
    this.#phases = fleet.phases;
    this.#peerVersions = fleet.peerVersions;
    this.#reported = fleet.reported;
    this.#appliedPlacement = fleet.appliedPlacement;
    this.#owners = fleet.owners;
    this.#placements = placements;
    this.#active = options.metrics === undefined ? undefined : new Map();
  }

  /** Moves this leader waits on. */
  waiting(): readonly PlannedMove[] {
    return [...this.#waiting.values()].map((w) => w.move);
  }

  get waitingCount(): number {
    return this.#waiting.size;
  }

  activeCount(): number {
    return this.#active?.size ?? 0;
  }

  /** Counts a move active when the planner started (metrics). */
  track(move: WorkloadMove): void {
    this.#active?.set(move.id, move.state);
  }

  /** A peer in the scheduler's fleet takes new work when active and not benched. */
  takesWork(id: string): boolean {
    return this.#phases.get(id) === "active" && !this.#benched.has(id);
  }

  /** Records the generation of a move read at start: replays of it are dropped. */
  seenMove(move: WorkloadMove): void {
    this.#moveGenerations.set(move.id, move.generation);
  }

  onPeer(id: string, peer: Peer | undefined): boolean {
    const scheduler = this.#scheduler;
    if (peer === undefined) {
      // A peer that left keeps nothing: its moves in flight fail and its workloads are no longer tracked.
      this.#peerVersions.delete(id);
      this.#inputs.delete(id);
      this.#phases.delete(id);
      this.#draining.delete(id);
      this.#blockedSaid.delete(id);
      if (scheduler.isSchedulable(id)) scheduler.setSchedulable(id, false);
      return true;
    }
    if ((this.#peerVersions.get(id) ?? -1) >= peer.version) return false;
    const known = this.#peerVersions.has(id);
    this.#peerVersions.set(id, peer.version);
    // Most peer changes are heartbeats, which change nothing the planner reads: they cost no step.
    const inputs = plannerInputs(peer);
    if (known && this.#inputs.get(id) === inputs) return false;
    this.#inputs.set(id, inputs);
    this.#phases.set(id, peer.phase);
    if (!known) scheduler.addNode({ id, pools: peer.pools, phase: peer.phase, schedulable: this.takesWork(id) });
    else scheduler.setPools(id, peer.pools);
    this.syncDrain(peer);
    // A placement that arrived before its peer was known is applied now.
    this.#syncPlacement(id);
    return true;
  }

  onPlacement(id: string, placement: Placement | undefined): void {
    if (placement === undefined || (this.#placements.get(id)?.version ?? -1) >= placement.version) return;
    this.#placements.set(id, placement);
    if (this.#peerVersions.has(id)) this.#syncPlacement(id);
  }

  syncDrain(peer: Peer): void {
    const scheduler = this.#scheduler;
    const drain = peer.spec.drain;
    if (drain !== undefined && peer.phase === "draining") {
      const current = scheduler.status(peer.id);
      if (current?.record.epoch !== drain.epoch) this.#startDrain(peer.id, drain.epoch, drain.deadline);
    } else {
      this.#pendingDrains.delete(peer.id);
      // The registry failed the drain (deadline, agent failure): stop moving work off it; the peer stays quiesced.
      const current = scheduler.status(peer.id);
      if (drain !== undefined && peer.phase === "failed" && current?.status === "draining") scheduler.failDrain(peer.id, current.record.epoch, peer.status?.reason ?? "the drain failed");
      // Resumed (or the drain ended without one): its moves not yet committed are cancelled (core decides
      // which), and the peer takes placements again if it is active. A new leader gets here for the moves
      // it adopted of a drain resumed while no leader ran.
      if (drain === undefined && (scheduler.status(peer.id) !== undefined || this.#drainMovesOff(peer.id))) {
        for (const m of scheduler.resumeNode(peer.id)) this.#cancel(m);
        this.#draining.delete(peer.id);
      }
    }
    scheduler.setSchedulable(peer.id, this.takesWork(peer.id));
  }

  /** Whether this leader waits on a move of a drain of `id`. */
  #drainMovesOff(id: string): boolean {
    for (const w of this.#waiting.values()) if (w.move.drain?.target === id) return true;
    return false;
  }

  /** A move core cancelled: no longer waited on; the registry is told, and the feed says how it ended. */
  #cancel(m: PlannedMove): void {
    this.settle(m.id);
    this.#cancelling.set(m.id, m);
    const reason = `the drain of ${m.drain?.target ?? m.from} (epoch ${m.drain?.epoch ?? 0}) was cancelled before ${m.to} served ${m.workload}`;
    this.#o.logger.info({ move: m.id, workload: m.workload, from: m.from, to: m.to }, "drain cancelled: cancelling its move in flight; the workload stays on its source");
    this.#o.hooks.cancelMove(m.id, reason);
  }

  /** Drains the scheduler refused earlier, tried again. */
  retryPendingDrains(): void {
    for (const [target, d] of [...this.#pendingDrains]) this.#startDrain(target, d.epoch, d.deadline);
  }

  /** Sets a destination that failed a move aside for a while. */
  #bench(id: string, reason: string): void {
    const { clock, logger, benchMs, hooks } = this.#o;
    if (hooks.stopped() || !this.#phases.has(id)) return;
    const current = this.#benched.get(id);
    if (current !== undefined) clock.clearTimer(current);
    else logger.warn({ peer: id, forMs: benchMs, reason }, "peer failed a workload move; no new moves onto it for a while");
    this.#benched.set(
      id,
      clock.setTimer(benchMs, () => {
        this.#benched.delete(id);
        if (this.#phases.has(id)) this.#scheduler.setSchedulable(id, this.takesWork(id));
        hooks.schedule();
      }),
    );
    this.#scheduler.setSchedulable(id, false);
  }

  #startDrain(target: string, epoch: number, deadline: number): void {
    try {
      const started = this.#scheduler.startDrain({ target, epoch, deadline });
      this.#pendingDrains.delete(target);
      this.#draining.add(target);
      if (started.outcome === "started") this.#o.logger.info({ peer: target, epoch, workloads: this.#scheduler.loadOf(target) }, "moving workloads off a draining peer");
    } catch (error) {
      if (!this.#pendingDrains.has(target)) this.#o.logger.warn({ peer: target, epoch, err: messageOf(error) }, "cannot move workloads off this peer yet; retrying");
      this.#pendingDrains.set(target, { epoch, deadline });
    }
  }

  /** New workloads a peer reports join the plan; ones it stopped reporting (and that are not moving) leave it. */
  #syncPlacement(peerId: string): void {
    const scheduler = this.#scheduler;
    const placement = this.#placements.get(peerId);
    if (placement === undefined || (this.#appliedPlacement.get(peerId) ?? -1) >= placement.version) return;
    this.#appliedPlacement.set(peerId, placement.version);
    const held = placement.items;
    const before = this.#reported.get(peerId) ?? new Set<string>();
    const now = new Set(held.map((w) => w.id));
    this.#reported.set(peerId, now);
    for (const w of held) {
      if (scheduler.ownerOf(w.id) !== undefined) continue;
      if (w.owner !== undefined) this.#owners.set(w.id, w.owner);
      scheduler.addWorkload({ id: w.id, node: peerId, ...(w.owner === undefined ? {} : { owner: w.owner }) });
    }
    let moving: Set<string> | undefined;
    for (const id of before) {
      if (now.has(id) || scheduler.ownerOf(id) !== peerId) continue;
      moving ??= new Set([...this.#waiting.values()].map((w) => w.move.workload));
      if (moving.has(id)) continue;
      scheduler.removeWorkload(id);
      this.#owners.delete(id);
    }
  }

  onMove(move: WorkloadMove | undefined): void {
    if (move === undefined) return;
    if ((this.#moveGenerations.get(move.id) ?? -1) >= move.generation) return;
    this.#moveGenerations.set(move.id, move.generation);
    if (this.#active !== undefined) this.#observe(this.#active, move);
    const cancelling = this.#cancelling.get(move.id);
    if (cancelling !== undefined) {
      if (move.state === "starting") return;
      this.#cancelling.delete(move.id);
      // The destination served it before the cancel reached the registry: the move committed and is not undone.
      if ((move.state === "serving" || move.state === "done") && this.#scheduler.adoptMove(cancelling)) {
        this.#scheduler.moveCommitted(cancelling);
        this.#o.logger.info({ move: move.id, workload: move.workload, to: move.to }, "the move committed before its cancel: the workload stays on its new home");
      }
      return;
    }
    const mine = this.#waiting.get(move.id);
    if (mine === undefined) return; // not this leader's (an older term's move that finished, or a deleted one)
    const { logger } = this.#o;
    if (move.state === "serving") {
      this.settle(move.id);
      this.#scheduler.moveCommitted(mine.move);
      logger.info({ move: move.id, workload: move.workload, from: move.from, to: move.to }, "workload serves on its destination");
    } else if (move.state === "failed") {
      this.settle(move.id);
      this.#scheduler.moveFailed(mine.move, move.reason ?? "move failed");
      this.#bench(move.to, move.reason ?? "move failed");
      logger.warn({ move: move.id, workload: move.workload, from: move.from, to: move.to, reason: move.reason }, "workload move failed; it stays on its source and is planned again");
    }
  }

  /** Feeds the metrics hooks from one new move generation; moves that ended before the planner started are not counted. */
  #observe(tracked: Map<string, MoveState>, move: WorkloadMove): void {
    const metrics = this.#o.metrics!;
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

  /** Waits on a move this leader planned or adopted; fails it after `ms`. */
  wait(move: PlannedMove, ms: number): void {
    const { clock, timeoutMs, hooks } = this.#o;
    const timer = clock.setTimer(ms, () => hooks.failMove(move.id, `destination ${move.to} did not serve it within ${timeoutMs} ms`));
    this.#waiting.set(move.id, { move, timer });
  }

  settle(id: string): void {
    const w = this.#waiting.get(id);
    if (w !== undefined) this.#o.clock.clearTimer(w.timer);
    this.#waiting.delete(id);
  }

  ownerOf(m: PlannedMove): string | undefined {
    return m.tier === "child" ? this.#owners.get(m.workload) : undefined;
  }

  /**
   * Says once, loudly, when a drain's workloads have nowhere to go, and
   * returns what to record on the drain (`spec.drain.stalled`, shown as the
   * drain's reason and blocking workloads to operators), and a clearing
   * report once the work moves again.
   */
  stallReports(): StallReport[] {
    const { logger } = this.#o;
    const out: StallReport[] = [];
    // Only peers with a drain can be stalled: runs on every step, so it must not walk the whole fleet.
    for (const id of new Set([...this.#draining, ...this.#blockedSaid.keys()])) {
      const st = this.#scheduler.status(id);
      const said = this.#blockedSaid.get(id);
      if (st?.status === "draining" && st.reason !== undefined) {
        const key = `${st.reason}\u0000${(st.blocking ?? []).join(",")}`;
        if (said?.key === key && said.epoch === st.record.epoch) continue;
        if (said === undefined) logger.warn({ peer: id, epoch: st.record.epoch, reason: st.reason, blocking: st.blocking, remaining: st.remaining }, "workloads of a draining peer have nowhere to go");
        this.#blockedSaid.set(id, { epoch: st.record.epoch, key });
        out.push({ id, epoch: st.record.epoch, reason: st.reason, workloads: st.blocking ?? [] });
      } else if (said !== undefined) {
        this.#blockedSaid.delete(id);
        if (st?.status === "draining") logger.info({ peer: id, epoch: said.epoch }, "workloads of a draining peer can move again");
        out.push({ id, epoch: said.epoch, workloads: [] });
      }
    }
    return out;
  }

  /** A replica that no longer leads waits on no move and benches no peer. */
  stop(): void {
    const { clock, metrics } = this.#o;
    for (const t of this.#benched.values()) clock.clearTimer(t);
    this.#benched.clear();
    for (const id of [...this.#waiting.keys()]) this.settle(id);
    this.#cancelling.clear();
    this.#active?.clear();
    metrics?.inFlight(0);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
