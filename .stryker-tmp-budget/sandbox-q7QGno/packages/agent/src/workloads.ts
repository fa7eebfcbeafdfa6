// @ts-nocheck
import { DrainkitError, GateClosedError, type DrainParticipant } from "@drainkit/core";
import type { PlacedWorkload, WorkloadMove } from "@drainkit/registry";

/**
 * How the host starts and stops one workload. `start` resolves once the
 * workload serves here (the source still serves it: make before break);
 * `stop` resolves once this host's copy is gone. Both may be called again for
 * the same workload after a failure, so make them idempotent.
 */
export interface WorkloadHandlers {
  start(workload: PlacedWorkload, move: WorkloadMove, signal: AbortSignal): Promise<void>;
  stop(workload: PlacedWorkload, move: WorkloadMove | undefined, signal: AbortSignal): Promise<void>;
}

/** Why the set changed: the host placed or stopped a workload itself, or a move brought or took it. */
export type WorkloadChangeCause = "host" | "move";

/** A workload was offered to a host that does not hold it, or twice. */
export class WorkloadError extends DrainkitError {
  constructor(code: "workload-unknown" | "workload-duplicate", workload: string, message: string) {
    super(code, message, { details: { workload } });
  }
}

/**
 * The workloads one host holds, and the drain participant that counts them.
 *
 * The agent reports {@link list} as the peer's `placement`, so the leader's
 * drain scheduler knows what to move; it carries out the leader's moves
 * through the handlers (start here when this host is the destination, stop
 * here when it is the source and the destination serves). As a drain
 * participant its in-flight work is the number of workloads still on the
 * host, so a drain completes only once every workload has moved away; while
 * draining it takes no new workload.
 *
 * @example
 * const shards = new WorkloadSet({
 *   start: async (w) => { await openShard(w.id); },
 *   stop: async (w) => { await closeShard(w.id); },
 * }, [{ id: "shard-1" }, { id: "shard-1.replica", owner: "shard-1" }]);
 * const coordinator = new NodeDrainCoordinator({ clock, participants: [http, shards], roles: ["storage"] });
 * const agent = new DrainAgent({ controlPlane, peer, coordinator, workloads: shards });
 */
export class WorkloadSet implements DrainParticipant {
  readonly name: string;
  readonly roles?: readonly string[];
  readonly handlers: WorkloadHandlers;
  readonly #held = new Map<string, PlacedWorkload>();
  readonly #idle = new Set<() => void>();
  readonly #changed = new Set<(cause: WorkloadChangeCause) => void>();
  #open = true;

  constructor(handlers: WorkloadHandlers, initial: readonly PlacedWorkload[] = [], options: { readonly name?: string; readonly roles?: readonly string[] } = {}) {
    this.handlers = handlers;
    this.name = options.name ?? "workloads";
    if (options.roles !== undefined) this.roles = options.roles;
    for (const w of initial) this.add(w);
  }

  /** Every workload on this host now, owners and children. */
  list(): PlacedWorkload[] {
    return [...this.#held.values()];
  }

  has(id: string): boolean {
    return this.#held.has(id);
  }

  /** Counts for the status report. */
  counts(): { readonly owners: number; readonly children: number } {
    let owners = 0;
    for (const w of this.#held.values()) if (w.owner === undefined) owners++;
    return { owners, children: this.#held.size - owners };
  }

  /** True while the host takes new workloads (not draining). */
  get open(): boolean {
    return this.#open;
  }

  /** The host placed a workload here itself. Refused while draining ({@link GateClosedError}). */
  add(w: PlacedWorkload): void {
    this.#add(w, "host");
  }

  #add(w: PlacedWorkload, cause: WorkloadChangeCause): void {
    if (this.#held.has(w.id)) throw new WorkloadError("workload-duplicate", w.id, `Workload "${w.id}" is already on this host.`);
    this.#held.set(w.id, w.owner === undefined ? { id: w.id } : { id: w.id, owner: w.owner });
    this.#notify(cause);
  }

  /** A workload a move brings here; unlike {@link add}, refused while draining. */
  accept(w: PlacedWorkload): void {
    if (!this.#open) throw new GateClosedError(this.name);
    if (!this.#held.has(w.id)) this.#add(w, "move");
  }

  /** The workload left this host: `cause` "host" when the host stopped it itself, "move" when a move took it away. */
  delete(id: string, cause: WorkloadChangeCause = "host"): boolean {
    const had = this.#held.delete(id);
    if (had) {
      this.#notify(cause);
      if (this.#held.size === 0) for (const fn of [...this.#idle]) fn();
    }
    return had;
  }

  /**
   * Calls `listener` whenever the set changes, with why. The agent reports a
   * host's own change at once; a move's changes ride on the next heartbeat,
   * since the control plane already knows them from the move itself.
   */
  onChange(listener: (cause: WorkloadChangeCause) => void): () => void {
    this.#changed.add(listener);
    return () => this.#changed.delete(listener);
  }

  // ---- DrainParticipant ----

  drain(): void {
    this.#open = false;
  }

  inFlight(): number {
    return this.#held.size;
  }

  onIdle(listener: () => void): () => void {
    this.#idle.add(listener);
    return () => this.#idle.delete(listener);
  }

  resume(): void {
    this.#open = true;
  }

  #notify(cause: WorkloadChangeCause): void {
    for (const fn of [...this.#changed]) fn(cause);
  }
}
