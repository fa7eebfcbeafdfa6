// @ts-nocheck
import type { PlannedMove, Workload } from "@drainkit/core";
import type { Fleet } from "./fleet.ts";
import type { InvariantChecker } from "./invariants.ts";

/**
 * Where each workload really runs, as the hosts know it: exactly one serving
 * owner node, and at most one copy being started elsewhere (make before
 * break). The scheduler in core plans the moves; this is the ground truth the
 * invariants hold it to.
 */
export class WorkloadHosts {
  readonly ids: readonly string[];
  readonly ownerOf: Int32Array;
  readonly parent: Int32Array;
  readonly owned: Int32Array;
  readonly #index = new Map<string, number>();
  readonly #fleet: Fleet;
  readonly #checker: InvariantChecker;
  /** Workloads that went down with a host stopped while it still owned them. */
  lost = 0;
  moves = 0;

  /**
   * `counts(node)` gives each node's owners and children; children are spread
   * over the node's owners (a node with children but no owner runs them as owners).
   */
  constructor(fleet: Fleet, counts: (node: number) => { readonly owners: number; readonly children: number }, checker: InvariantChecker) {
    this.#fleet = fleet;
    this.#checker = checker;
    const perNode = Array.from({ length: fleet.size }, (_, node) => counts(node));
    const total = perNode.reduce((sum, c) => sum + c.owners + c.children, 0);
    const ids: string[] = new Array<string>(total);
    this.ownerOf = new Int32Array(total);
    this.parent = new Int32Array(total).fill(-1);
    this.owned = new Int32Array(fleet.size);
    let w = 0;
    for (let node = 0; node < fleet.size; node++) {
      const c = perNode[node]!;
      const owners = c.owners > 0 ? c.owners : c.children;
      const children = c.owners > 0 ? c.children : 0;
      for (let o = 0; o < owners; o++) {
        const owner = w;
        ids[w] = `w${node}.${o}`;
        this.ownerOf[w++] = node;
        // Owner o takes children o, o + owners, o + 2·owners, …: uniform when children divide evenly.
        for (let k = o, ch = 0; k < children; k += owners, ch++) {
          ids[w] = `w${node}.${o}.${ch}`;
          this.parent[w] = owner;
          this.ownerOf[w++] = node;
        }
      }
      this.owned[node] = owners + children;
    }
    this.ids = ids;
    for (let i = 0; i < total; i++) this.#index.set(ids[i]!, i);
  }

  get total(): number {
    return this.ids.length;
  }

  /** The placement as core's scheduler takes it (a rebuilt scheduler reads the hosts' truth). */
  placement(): Workload[] {
    const out = new Array<Workload>(this.ids.length);
    for (let i = 0; i < this.ids.length; i++) {
      const node = this.#fleet.ids[this.ownerOf[i]!]!;
      const p = this.parent[i]!;
      out[i] = p < 0 ? { id: this.ids[i]!, node } : { id: this.ids[i]!, node, owner: this.ids[p]! };
    }
    return out;
  }

  index(id: string): number {
    const i = this.#index.get(id);
    if (i === undefined) throw new RangeError(`unknown workload ${id}`);
    return i;
  }

  /** The copy on `move.to` serves: ownership flips there and the source copy stops. */
  commit(move: PlannedMove, to: number, from: number): void {
    const w = this.index(move.workload);
    if (this.ownerOf[w] !== from) {
      // The scheduler moved a workload from a node that does not serve it: the
      // real one would now run twice.
      this.#checker.report("no-lost-workload", `move ${move.id} took ${move.workload} from ${move.from}, but ${this.#fleet.ids[this.ownerOf[w]!]!} serves it (duplicated)`, { node: move.from });
      return;
    }
    this.ownerOf[w] = to;
    this.owned[from]!--;
    this.owned[to]!++;
    this.moves++;
  }

  /** The host is stopped on purpose: anything it still owns is lost. */
  stop(node: number): void {
    const left = this.owned[node]!;
    if (left > 0) {
      this.lost += left;
      this.#checker.report("no-lost-workload", `${this.#fleet.ids[node]!} was stopped while it still owned ${left} workload(s)`, { node: this.#fleet.ids[node]! });
    }
  }
}
