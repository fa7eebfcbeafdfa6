// @ts-nocheck
import { LoadHeap } from "./LoadHeap.ts";
import type { DrainState } from "./NodeSlot.ts";

/**
 * The drains a scheduler runs now, indexed by what changes them, so a step
 * visits only the drains that may act and no work grows with the fleet when
 * few nodes change:
 *
 * - by scope, so a start counts its scope's drains without a scan;
 * - `dirty`: the drain's node changed (work planned, moved, removed or
 *   added; participants reported), so it may complete, plan or report;
 * - `blocked`: its last step found no destination, which any change in the
 *   fleet may lift, so it is looked at every step while it lasts;
 * - a deadline heap, so a drain is looked at once its deadline passed.
 *
 * A drain none of these name would do nothing in a step (no move, no event,
 * no change), which is why skipping it changes nothing. Visits come in the
 * order the drains started, as a full walk of the active drains would.
 * @internal
 */
export class ActiveDrains {
  readonly #all = new Set<DrainState>();
  readonly #byScope = new Map<string, Set<DrainState>>();
  readonly #dirty = new Set<DrainState>();
  readonly #blocked = new Set<DrainState>();
  readonly #deadlines = new LoadHeap();
  readonly #bySeq = new Map<number, DrainState>();
  #seq = 0;

  get size(): number {
    return this.#all.size;
  }

  has(d: DrainState): boolean {
    return this.#all.has(d);
  }

  add(d: DrainState): void {
    if (this.#all.has(d)) return;
    d.seq = ++this.#seq;
    this.#all.add(d);
    let scope = this.#byScope.get(d.record.scope);
    if (scope === undefined) this.#byScope.set(d.record.scope, (scope = new Set()));
    scope.add(d);
    this.#dirty.add(d);
    this.#bySeq.set(d.seq, d);
    this.#deadlines.push(d.record.deadline, d.seq);
  }

  delete(d: DrainState): void {
    if (!this.#all.delete(d)) return;
    const scope = this.#byScope.get(d.record.scope)!;
    scope.delete(d);
    if (scope.size === 0) this.#byScope.delete(d.record.scope);
    this.#dirty.delete(d);
    this.#blocked.delete(d);
    // Its deadline entry is dropped when it surfaces.
    this.#bySeq.delete(d.seq);
  }

  /** How many drains of `scope` there are besides `except`. */
  othersInScope(scope: string, except: DrainState | undefined): number {
    const s = this.#byScope.get(scope);
    if (s === undefined) return 0;
    return s.size - (except !== undefined && s.has(except) ? 1 : 0);
  }

  /** Targets of the drains of `scope` other than `exceptTarget`, in the order they started. */
  targetsInScope(scope: string, exceptTarget: string): string[] {
    const out: string[] = [];
    for (const d of this.#byScope.get(scope) ?? []) if (d.record.target !== exceptTarget) out.push(d.record.target);
    return out;
  }

  /** Something the drain's step reads changed. */
  touch(d: DrainState): void {
    if (this.#all.has(d)) this.#dirty.add(d);
  }

  /** The drains that may act at `now` (changed, blocked, or past their deadline), in the order they started. */
  due(now: number): DrainState[] {
    for (let top = this.#deadlines.peek(); top !== undefined && top.key < now; top = this.#deadlines.peek()) {
      this.#deadlines.pop();
      const d = this.#bySeq.get(top.order);
      if (d !== undefined) this.#dirty.add(d);
    }
    const out = [...this.#dirty];
    for (const d of this.#blocked) if (!this.#dirty.has(d)) out.push(d);
    return out.length > 1 ? out.sort((a, b) => a.seq - b.seq) : out;
  }

  /** The drain's step ran: it rests until it is touched again, unless it found no destination. */
  stepped(d: DrainState): void {
    if (!this.#all.has(d)) return;
    this.#dirty.delete(d);
    if (d.blocking.length > 0) this.#blocked.add(d);
    else this.#blocked.delete(d);
  }
}
