// @ts-nocheck
import { LoadHeap } from "./LoadHeap.ts";
import { isEligible, load, type NodeSlot } from "./NodeSlot.ts";

/**
 * Where work may go: the least loaded eligible node (fleet-wide or per pool,
 * see `destinations`) and, for balancing, the most loaded one, kept in lazy
 * heaps so each change of a node's load costs O(log n) and no pick scans the
 * fleet. The scheduler calls {@link touch} after every change of a node.
 * @internal
 */
export class LoadIndex {
  /** Every node by `order`; the scheduler appends to it, the index only reads it. */
  readonly #byOrder: readonly NodeSlot[];
  readonly #samePool: boolean;
  readonly #trackMost: boolean;
  readonly #least = new LoadHeap();
  /** Least loaded eligible node per pool (same-pool destinations). */
  readonly #leastByPool = new Map<string, LoadHeap>();
  readonly #most = new LoadHeap();
  /** Entries pushed into the per-pool heaps since the last rebuild, and pool memberships of all nodes. */
  #pooled = 0;
  #memberships = 0;

  constructor(byOrder: readonly NodeSlot[], options: { readonly samePool: boolean; readonly trackMost: boolean }) {
    this.#byOrder = byOrder;
    this.#samePool = options.samePool;
    this.#trackMost = options.trackMost;
  }

  /** True when work may only go to a node sharing a pool with the node it leaves. */
  get samePool(): boolean {
    return this.#samePool;
  }

  /** A node joined pools or left them (the heaps' rebuild threshold grows with the memberships). */
  membershipsChanged(delta: number): void {
    this.#memberships += delta;
  }

  /** Whether `to` may take work leaving `from` (see `destinations`). */
  mayTake(from: NodeSlot, to: NodeSlot): boolean {
    return !this.#samePool || from.pools.length === 0 || from.pools.some((p) => to.pools.includes(p));
  }

  /** The least loaded node that may take work from `from` (see `destinations`). */
  leastLoaded(from?: NodeSlot): NodeSlot | undefined {
    if (!this.#samePool || from === undefined || from.pools.length === 0) return this.#validTop(this.#least);
    let best: NodeSlot | undefined;
    for (const pool of from.pools) {
      const heap = this.#leastByPool.get(pool);
      const n = heap === undefined ? undefined : this.#validTop(heap, pool);
      if (n !== undefined && (best === undefined || load(n) < load(best) || (load(n) === load(best) && n.order < best.order))) best = n;
    }
    return best;
  }

  /** The most loaded node that is up and not draining (balancing only). */
  mostLoaded(): NodeSlot | undefined {
    for (;;) {
      const top = this.#most.peek();
      if (top === undefined) return undefined;
      const n = this.#byOrder[top.order]!;
      if (n.up && n.drain === undefined && load(n) === -top.key) return n;
      this.#most.pop();
    }
  }

  /** Drops the current most loaded node until its next {@link touch} (everything on it already moves). */
  setAsideMost(): void {
    this.#most.pop();
  }

  /** Records a node's current load in the heaps; stale entries are dropped lazily. */
  touch(n: NodeSlot): void {
    this.#push(n);
    // Stale entries pile up under churn; rebuild from the live loads now and then.
    if (this.#least.size + this.#most.size + this.#pooled > 8 * (this.#byOrder.length + this.#memberships) + 1024) this.#rebuild();
  }

  /** The heap's least loaded eligible node (still in `pool`, for a pool's heap), dropping stale entries on the way. */
  #validTop(heap: LoadHeap, pool?: string): NodeSlot | undefined {
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return undefined;
      const n = this.#byOrder[top.order]!;
      if (isEligible(n) && load(n) === top.key && (pool === undefined || n.pools.includes(pool))) return n;
      heap.pop();
    }
  }

  #poolHeap(pool: string): LoadHeap {
    let heap = this.#leastByPool.get(pool);
    if (heap === undefined) this.#leastByPool.set(pool, (heap = new LoadHeap()));
    return heap;
  }

  #rebuild(): void {
    this.#least.clear();
    this.#most.clear();
    for (const heap of this.#leastByPool.values()) heap.clear();
    this.#pooled = 0;
    for (const n of this.#byOrder) this.#push(n);
  }

  /** Pushes a node's current load onto every heap it belongs in. */
  #push(n: NodeSlot): void {
    const l = load(n);
    if (isEligible(n)) {
      this.#least.push(l, n.order);
      if (this.#samePool) for (const pool of n.pools) this.#poolHeap(pool).push(l, n.order);
      this.#pooled += this.#samePool ? n.pools.length : 0;
    }
    if (this.#trackMost && n.up && n.drain === undefined) this.#most.push(-l, n.order);
  }
}
