// @ts-nocheck
import { nullEventSink, type EventSink } from "../ports/events.ts";
import type { Clock } from "../ports/clock.ts";
import { DrainLimitError, NodeNotInFleetError, LastSchedulableNodeError } from "./errors.ts";
import { schedulerSettings, type BalanceOptions, type DrainSchedulerOptions, type DrainStart } from "./DrainSchedulerOptions.ts";
import { ActiveDrains } from "./ActiveDrains.ts";
import { LoadIndex } from "./LoadIndex.ts";
import { firstIdle, isComplete, isEligible, load, newProgress, remainingOf, type DrainState, type NodeSlot, type WorkloadSlot } from "./NodeSlot.ts";
import type { DrainSchedulerEvent, FleetDrainRecord, FleetDrainRequest, FleetDrainStatus, FleetNode, PlannedMove, Workload } from "./types.ts";

const DEFAULT_SCOPE = "default";

/**
 * Moves workloads off draining nodes: owners first, in batches, each to the
 * least loaded schedulable node (moves in flight included), then the children,
 * which follow their owner. An explicit, step-able state machine on the
 * injected clock: {@link tick} returns the moves to start; the host reports
 * {@link moveCommitted} / {@link moveFailed} / {@link nodeCrashed} /
 * {@link reportProgress}. It reads no other time and does no I/O, so the
 * simulator and the control plane run the very same code.
 *
 * Ownership flips only at {@link moveCommitted}: a workload is owned by exactly
 * one node at every committed point (make before break).
 *
 * @example
 * const s = new DrainScheduler({ clock, fleet: { nodes, workloads }, awaitIdleReport: false });
 * s.startDrain({ target: "n1", deadline: clock.now() + 60_000 });
 * for (let moves = s.tick(); moves.length > 0; moves = s.tick()) {
 *   for (const m of moves) s.moveCommitted(m); // after starting m.workload on m.to
 * }
 * s.status("n1")?.status; // "drained"
 */
export class DrainScheduler {
  readonly #clock: Clock;
  readonly #events: EventSink<DrainSchedulerEvent>;
  readonly #batchSize: number;
  readonly #maxDrainsPerScope: number;
  readonly #awaitIdle: boolean;
  readonly #balance: Required<BalanceOptions>;
  readonly #prefix: string;
  readonly #nodes = new Map<string, NodeSlot>();
  readonly #byOrder: NodeSlot[] = [];
  readonly #workloads = new Map<string, WorkloadSlot>();
  readonly #moves = new Map<string, PlannedMove>();
  readonly #active = new ActiveDrains();
  readonly #index: LoadIndex;
  #eligible = 0;
  #balanceInFlight = 0;
  #seq = 0;

  constructor(options: DrainSchedulerOptions) {
    this.#clock = options.clock;
    this.#events = options.events ?? nullEventSink;
    const settings = schedulerSettings(options);
    this.#batchSize = settings.batchSize;
    this.#maxDrainsPerScope = settings.maxDrainsPerScope;
    this.#awaitIdle = settings.awaitIdle;
    this.#balance = settings.balance;
    this.#prefix = settings.prefix;
    this.#index = new LoadIndex(this.#byOrder, { samePool: settings.samePool, trackMost: settings.balance.enabled });
    for (const node of options.fleet.nodes) this.addNode(node);
    for (const w of options.fleet.workloads ?? []) this.addWorkload(w);
    for (const record of options.records ?? []) this.#restore(record);
  }

  // ---- fleet changes -------------------------------------------------------

  /** Adds a node (a new node joins, or a node was registered late). */
  addNode(node: FleetNode): void {
    if (this.#nodes.has(node.id)) return;
    const up = node.healthy !== false;
    const slot: NodeSlot = {
      id: node.id,
      order: this.#byOrder.length,
      scope: node.scope ?? DEFAULT_SCOPE,
      pools: [...new Set(node.pools)],
      schedulable: node.schedulable ?? (node.phase === "active" && up),
      up,
      owners: new Set(),
      children: new Set(),
      incoming: new Set(),
      outgoing: 0,
      drain: undefined,
      lastEpoch: 0,
    };
    this.#nodes.set(node.id, slot);
    this.#byOrder.push(slot);
    this.#index.membershipsChanged(slot.pools.length);
    if (isEligible(slot)) this.#eligible++;
    this.#touch(slot);
  }

  /** Places a workload (owner when `owner` is absent, else a child of it). */
  addWorkload(w: Workload): void {
    const node = this.#node(w.node);
    if (this.#workloads.has(w.id)) return;
    this.#workloads.set(w.id, { id: w.id, owner: w.owner, node: w.node, move: undefined });
    (w.owner === undefined ? node.owners : node.children).add(w.id);
    this.#touch(node);
  }

  /**
   * The workload left the fleet (its host stopped it on its own, or reports it
   * no more). A move in flight for it is dropped and returned so the host can
   * cancel it; children keep their place. Unknown ids are ignored.
   */
  removeWorkload(id: string): PlannedMove | undefined {
    const w = this.#workloads.get(id);
    if (w === undefined) return undefined;
    const move = w.move;
    if (move !== undefined) this.#settle(move, w, this.#nodes.get(move.from)!, this.#nodes.get(move.to)!);
    const node = this.#nodes.get(w.node)!;
    (w.owner === undefined ? node.owners : node.children).delete(id);
    this.#workloads.delete(id);
    this.#touch(node);
    if (move !== undefined) this.#touch(this.#nodes.get(move.to)!);
    return move;
  }

  /**
   * Takes over a move planned by an earlier incarnation (a leader before a
   * failover) and still in flight, so it is neither planned twice nor lost:
   * {@link moveCommitted} and {@link moveFailed} then accept it. Refused
   * (`false`) when the workload is unknown, not on `move.from`, already moving,
   * or either node is unknown.
   */
  adoptMove(move: PlannedMove): boolean {
    const w = this.#workloads.get(move.workload);
    const from = this.#nodes.get(move.from);
    const to = this.#nodes.get(move.to);
    if (w === undefined || from === undefined || to === undefined || w.node !== from.id || w.move !== undefined || this.#moves.has(move.id) || from === to) return false;
    const adopted: PlannedMove = { ...move, tier: w.owner === undefined ? "owner" : "child" };
    w.move = adopted;
    this.#moves.set(adopted.id, adopted);
    from.outgoing++;
    to.incoming.add(adopted.id);
    if (adopted.drain === undefined) this.#balanceInFlight++;
    this.#touch(from);
    this.#touch(to);
    return true;
  }

  /** The node's pools changed (it re-registered): work leaving it, or coming to it, follows the new pools. */
  setPools(id: string, pools: readonly string[]): void {
    const node = this.#node(id);
    const next = [...new Set(pools)];
    if (next.length === node.pools.length && next.every((p) => node.pools.includes(p))) return;
    this.#index.membershipsChanged(next.length - node.pools.length);
    node.pools = next;
    this.#touch(node);
  }

  /** Cordon (`false`) or uncordon (`true`) a node: whether it takes new placements. */
  setSchedulable(id: string, schedulable: boolean): void {
    this.#update(this.#node(id), (n) => (n.schedulable = schedulable));
  }

  /**
   * The node went down. Moves onto it fail (their workloads stay on their
   * source and are retried elsewhere on the next tick); they are returned so
   * the host can clean up. Workloads it owns stay owned by it.
   */
  nodeCrashed(id: string): PlannedMove[] {
    const node = this.#node(id);
    this.#update(node, (n) => (n.up = false));
    const failed: PlannedMove[] = [];
    for (const moveId of [...node.incoming]) {
      const move = this.#moves.get(moveId);
      if (move !== undefined && this.moveFailed(move, `destination ${id} crashed`)) failed.push(move);
    }
    return failed;
  }

  /** The node is back up (it takes placements again if it is schedulable and not draining). */
  nodeRecovered(id: string): void {
    this.#update(this.#node(id), (n) => (n.up = true));
  }

  // ---- drains --------------------------------------------------------------

  /**
   * Starts draining `target`. Refused with {@link DrainLimitError} when its
   * scope already drains `maxDrainsPerScope` targets, and with
   * {@link LastSchedulableNodeError} when no other node could take its work.
   * A newer epoch replaces the current drain; an older one is ignored.
   */
  startDrain(request: FleetDrainRequest): DrainStart {
    const node = this.#node(request.target);
    const current = node.drain;
    if (request.epoch !== undefined && request.epoch <= node.lastEpoch) {
      if (current !== undefined && current.record.epoch === request.epoch) return { outcome: "unchanged", record: current.record };
      return { outcome: "stale", epoch: request.epoch };
    }
    if (request.epoch === undefined && current?.status === "draining") return { outcome: "unchanged", record: current.record };
    if (this.#active.othersInScope(node.scope, current) >= this.#maxDrainsPerScope) {
      throw new DrainLimitError(node.id, node.scope, this.#active.targetsInScope(node.scope, node.id), this.#maxDrainsPerScope);
    }
    if (this.#eligible - (isEligible(node) ? 1 : 0) <= 0) throw new LastSchedulableNodeError(node.id);
    const record: FleetDrainRecord = {
      target: node.id,
      epoch: request.epoch ?? node.lastEpoch + 1,
      startedAt: this.#clock.now(),
      deadline: request.deadline,
      scope: node.scope,
    };
    this.#begin(node, record);
    this.#events.emit({ type: "fleet-drain-started", record });
    return { outcome: "started", record };
  }

  /**
   * Participants' in-flight count for a drain. A report for another epoch
   * than the target's current drain, or for a drain already finished (a late,
   * reordered report), is ignored (`"stale"`): a drained node never reopens.
   */
  reportProgress(report: { readonly target: string; readonly epoch: number; readonly inFlight: number }): "accepted" | "stale" {
    const d = this.#nodes.get(report.target)?.drain;
    if (d === undefined || report.epoch !== d.record.epoch || d.status !== "draining") return "stale";
    d.inFlight = Math.max(0, report.inFlight);
    this.#active.touch(d);
    return "accepted";
  }

  /** A participant failed the drain: it stops moving work and is reported failed. Stale epochs are ignored. */
  failDrain(target: string, epoch: number, reason: string): "accepted" | "stale" {
    const d = this.#nodes.get(target)?.drain;
    if (d === undefined || epoch !== d.record.epoch || d.status !== "draining") return "stale";
    this.#fail(d, reason);
    return "accepted";
  }

  /**
   * Ends the drain of `target` (drained, failed or still draining) and makes
   * it schedulable again, e.g. after its upgrade. Moves already in flight off
   * it still complete.
   */
  resumeNode(target: string): void {
    const node = this.#node(target);
    const d = node.drain;
    this.#update(node, (n) => {
      n.drain = undefined;
      n.schedulable = true;
    });
    if (d !== undefined) this.#active.delete(d);
  }

  // ---- the step ------------------------------------------------------------

  /**
   * One scheduling step at `clock.now()`: fails drains past their deadline,
   * completes drains that are empty and idle, and returns the moves to start
   * now, drains first, then balance.
   */
  tick(): PlannedMove[] {
    const now = this.#clock.now();
    const out: PlannedMove[] = [];
    // Only the drains that may act (see ActiveDrains): the others would plan nothing and report nothing new.
    for (const d of this.#active.due(now)) if (this.#active.has(d)) this.#step(d, now, out);
    if (this.#balance.enabled && !(this.#balance.pauseWhileDraining && this.#active.size > 0)) this.#planBalance(out);
    return out;
  }

  /** The destination serves `move.workload`: ownership flips from `from` to `to`. False for an unknown (stale) move. */
  moveCommitted(move: PlannedMove): boolean {
    return this.#finishMove(move, true) !== undefined;
  }

  /** The move did not happen: the workload stays on its source and is planned again. False for an unknown (stale) move. */
  moveFailed(move: PlannedMove, reason = "move failed"): boolean {
    const m = this.#finishMove(move, false);
    if (m === undefined) return false;
    this.#events.emit({ type: "fleet-move-failed", move: m, reason });
    return true;
  }

  /** Ends a live move (the workload changes hands when `committed`) and re-indexes both ends; undefined for a stale move. */
  #finishMove(move: PlannedMove, committed: boolean): PlannedMove | undefined {
    const m = this.#live(move);
    if (m === undefined) return undefined;
    const w = this.#workloads.get(m.workload)!;
    const from = this.#nodes.get(m.from)!;
    const to = this.#nodes.get(m.to)!;
    this.#settle(m, w, from, to);
    if (committed) {
      (w.owner === undefined ? from.owners : from.children).delete(w.id);
      (w.owner === undefined ? to.owners : to.children).add(w.id);
      w.node = to.id;
    }
    this.#touch(from);
    this.#touch(to);
    return m;
  }

  // ---- reads ---------------------------------------------------------------

  /** The drain of `target` (draining, drained or failed), or undefined. */
  status(target: string): FleetDrainStatus | undefined {
    const node = this.#nodes.get(target);
    const d = node?.drain;
    if (node === undefined || d === undefined) return undefined;
    const base = { record: d.record, status: d.status, remaining: remainingOf(node, d) };
    return {
      ...base,
      ...(d.reason === undefined ? {} : { reason: d.reason }),
      ...(d.blocking.length === 0 ? {} : { blocking: [...d.blocking] }),
    };
  }

  /** Every drain not yet resumed, as persisted: the input of a rebuilt scheduler. */
  records(): FleetDrainRecord[] {
    const out: FleetDrainRecord[] = [];
    for (const n of this.#byOrder) if (n.drain !== undefined) out.push(n.drain.record);
    return out;
  }

  /** Targets draining now. */
  get activeDrains(): number {
    return this.#active.size;
  }

  /** Moves planned and not yet committed or failed. */
  inFlight(): PlannedMove[] {
    return [...this.#moves.values()];
  }

  /** The node that owns `workload` now. */
  ownerOf(workload: string): string | undefined {
    return this.#workloads.get(workload)?.node;
  }

  /** Every workload with the node that owns it, in the form of a {@link FleetView}'s workloads. */
  placement(): Workload[] {
    const out: Workload[] = [];
    for (const w of this.#workloads.values()) out.push(w.owner === undefined ? { id: w.id, node: w.node } : { id: w.id, node: w.node, owner: w.owner });
    return out;
  }

  /** Owners and children on `node` now, and its load counting moves in flight. */
  loadOf(node: string): { readonly owners: number; readonly children: number; readonly load: number } {
    const n = this.#node(node);
    return { owners: n.owners.size, children: n.children.size, load: load(n) };
  }

  /** Whether `node` would take a new placement now. */
  isSchedulable(node: string): boolean {
    const n = this.#nodes.get(node);
    return n !== undefined && isEligible(n);
  }

  // ---- internals -----------------------------------------------------------

  /** Re-indexes a node after a change, and wakes its drain (what the drain's step reads may have changed). */
  #touch(n: NodeSlot): void {
    this.#index.touch(n);
    if (n.drain !== undefined) this.#active.touch(n.drain);
  }

  #node(id: string): NodeSlot {
    const n = this.#nodes.get(id);
    if (n === undefined) throw new NodeNotInFleetError(id);
    return n;
  }

  #update(n: NodeSlot, change: (n: NodeSlot) => void): void {
    const before = isEligible(n);
    change(n);
    const after = isEligible(n);
    if (before !== after) this.#eligible += after ? 1 : -1;
    this.#touch(n);
  }

  #begin(node: NodeSlot, record: FleetDrainRecord): void {
    if (node.drain !== undefined) this.#active.delete(node.drain);
    const d: DrainState = { record, status: "draining", inFlight: this.#awaitIdle ? undefined : 0, reason: undefined, blocking: [], lastReport: "", seq: 0 };
    this.#update(node, (n) => {
      n.drain = d;
      n.lastEpoch = Math.max(n.lastEpoch, record.epoch);
    });
    this.#active.add(d);
  }

  #restore(record: FleetDrainRecord): void {
    const node = this.#nodes.get(record.target);
    if (node === undefined) return; // the node left the fleet; nothing of it remains to move
    if (node.drain !== undefined && node.drain.record.epoch >= record.epoch) return;
    this.#begin(node, record);
  }

  /** One drain's part of a {@link tick}: complete it, fail it past its deadline, or plan its moves and report progress. */
  #step(d: DrainState, now: number, out: PlannedMove[]): void {
    const node = this.#nodes.get(d.record.target)!;
    if (isComplete(node, d)) {
      d.status = "drained";
      d.reason = undefined;
      d.blocking = [];
      this.#active.delete(d);
      this.#events.emit({ type: "fleet-drain-completed", target: node.id, epoch: d.record.epoch });
      return;
    }
    if (now > d.record.deadline) {
      this.#fail(d, "deadline passed before the node was empty and idle");
      return;
    }
    this.#planDrain(node, d, out);
    this.#active.stepped(d);
    const remaining = newProgress(node, d);
    if (remaining !== undefined) this.#events.emit({ type: "fleet-drain-progress", target: node.id, epoch: d.record.epoch, remaining });
  }

  #fail(d: DrainState, reason: string): void {
    d.status = "failed";
    d.reason = reason;
    this.#active.delete(d);
    const node = this.#nodes.get(d.record.target)!;
    this.#events.emit({ type: "fleet-drain-failed", target: node.id, epoch: d.record.epoch, reason, remaining: remainingOf(node, d) });
  }

  #planDrain(node: NodeSlot, d: DrainState, out: PlannedMove[]): void {
    let room = this.#batchSize - node.outgoing;
    d.blocking = [];
    d.reason = undefined;
    if (room <= 0) return;
    // Owners first: children move only once no owner is left on the node.
    const tier = node.owners.size > 0 ? node.owners : node.children;
    for (const id of tier) {
      if (room <= 0) break;
      const w = this.#workloads.get(id)!;
      if (w.move !== undefined) continue;
      const to = this.#follow(w, node) ?? this.#index.leastLoaded(node);
      if (to === undefined) {
        d.blocking.push(id);
        d.reason = this.#index.samePool && node.pools.length > 0 ? `no schedulable node in pool ${node.pools.join(" or ")} can take the remaining workloads` : "no schedulable node can take the remaining workloads";
        break;
      }
      out.push(this.#plan(w, node, to, { target: node.id, epoch: d.record.epoch }));
      room--;
    }
  }

  /** A child follows its owner when the owner's node takes placements. */
  #follow(w: WorkloadSlot, from: NodeSlot): NodeSlot | undefined {
    if (w.owner === undefined) return undefined;
    const owner = this.#workloads.get(w.owner);
    const n = owner === undefined ? undefined : this.#nodes.get(owner.node);
    return n !== undefined && isEligible(n) && this.#index.mayTake(from, n) ? n : undefined;
  }

  #planBalance(out: PlannedMove[]): void {
    const skipped: NodeSlot[] = [];
    while (this.#balanceInFlight < this.#balance.batchSize) {
      const src = this.#index.mostLoaded();
      const dst = this.#index.leastLoaded(src);
      if (src === undefined || dst === undefined || src === dst || load(src) - load(dst) < this.#balance.threshold) break;
      const w = firstIdle(this.#workloads, src.children) ?? firstIdle(this.#workloads, src.owners);
      if (w === undefined) {
        // Everything on it is already moving; set it aside for this step.
        this.#index.setAsideMost();
        skipped.push(src);
        continue;
      }
      out.push(this.#plan(w, src, dst, undefined));
    }
    for (const n of skipped) this.#index.touch(n);
  }

  #plan(w: WorkloadSlot, from: NodeSlot, to: NodeSlot, drain: PlannedMove["drain"]): PlannedMove {
    const move: PlannedMove = {
      id: `${this.#prefix}m${++this.#seq}`,
      workload: w.id,
      tier: w.owner === undefined ? "owner" : "child",
      from: from.id,
      to: to.id,
      ...(drain === undefined ? {} : { drain }),
    };
    w.move = move;
    this.#moves.set(move.id, move);
    from.outgoing++;
    to.incoming.add(move.id);
    if (drain === undefined) this.#balanceInFlight++;
    this.#touch(from);
    this.#touch(to);
    return move;
  }

  #live(move: PlannedMove): PlannedMove | undefined {
    const m = this.#moves.get(move.id);
    // A report from an earlier incarnation may reuse an id: it must match the move in full.
    if (m === undefined || m.workload !== move.workload || m.to !== move.to || m.from !== move.from) return undefined;
    return m;
  }

  #settle(m: PlannedMove, w: WorkloadSlot, from: NodeSlot, to: NodeSlot): void {
    this.#moves.delete(m.id);
    w.move = undefined;
    from.outgoing--;
    to.incoming.delete(m.id);
    if (m.drain === undefined) this.#balanceInFlight--;
  }
}
