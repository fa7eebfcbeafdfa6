// @ts-nocheck
import type { DrainParticipant, Random } from "@drainkit/core";
import type { Fleet } from "./fleet.ts";
import type { InvariantChecker } from "./invariants.ts";
import { BinomialTable, binomial, poisson } from "./sample.ts";

/** Traffic settings, resolved from the scenario. */
export interface TrafficSettings {
  readonly ratePerNode: number;
  readonly serviceMs: number;
  readonly tickMs: number;
}

/**
 * A host's request server as core's `DrainParticipant` port sees it: a gate and
 * an exact count of requests in flight. Requests arrive and finish in batches
 * (the traffic model's ticks), so unlike core's `createCountingParticipant`
 * it takes counts, not one call per request; the contract is the same.
 */
export class HostParticipant implements DrainParticipant {
  readonly name: string;
  readonly roles: readonly string[];
  open = true;
  #inFlight = 0;
  /** Created on the first listener: a million hosts mostly never have one. */
  #listeners: Set<() => void> | undefined;
  /** Called when the gate opens or closes (the traffic model moves the host in or out of its pool's aggregate). */
  readonly #onGate: () => void;

  constructor(name: string, role: string, onGate: () => void = () => {}) {
    this.name = name;
    this.roles = [role];
    this.#onGate = onGate;
  }

  /** Hands the requests in flight to the pool's aggregate (returns them), or takes `n` back from it; no listener runs. */
  transfer(n: number): number {
    const had = this.#inFlight;
    this.#inFlight = n;
    return had;
  }

  /** Requests stuck forever (a hung handler): in flight, but never finished by the traffic model. */
  #stuck = 0;

  /** Admits one request that never finishes until {@link unstick} (the hung-participant fault). */
  stick(): boolean {
    if (!this.open) return false;
    this.#stuck++;
    return true;
  }

  /** The stuck request finally ends (the operator killed it). */
  unstick(): void {
    if (this.#stuck === 0) return;
    this.#stuck--;
    if (this.#stuck + this.#inFlight === 0 && this.#listeners !== undefined) for (const fn of [...this.#listeners]) fn();
  }

  /** Requests in flight that the traffic model may finish (all but the stuck ones). */
  get finishable(): number {
    return this.#inFlight;
  }

  /** Admits `n` requests; returns how many were admitted (0 when the gate is closed). */
  begin(n: number): number {
    if (!this.open) return 0;
    this.#inFlight += n;
    return n;
  }

  /** Finishes `n` admitted requests; idle listeners run when none is left. */
  end(n: number): void {
    if (n <= 0) return;
    if (n > this.#inFlight) throw new RangeError(`${this.name}: end(${n}) with only ${this.#inFlight} in flight`);
    this.#inFlight -= n;
    // Most hosts go idle every tick; only copy the listeners when a coordinator is listening.
    if (this.#inFlight + this.#stuck === 0 && this.#listeners !== undefined && this.#listeners.size > 0) for (const fn of [...this.#listeners]) fn();
  }

  drain(): void {
    this.open = false;
    this.#onGate();
  }

  inFlight(): number {
    return this.#inFlight + this.#stuck;
  }

  onIdle(listener: () => void): () => void {
    const listeners = (this.#listeners ??= new Set());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }

  resume(): void {
    this.open = true;
    this.#onGate();
  }
}

/**
 * Requests in flight, in aggregate but exact in count. Hosts the router may
 * use (up, role active or cordoned, gate open) are interchangeable, so their
 * requests are kept as one count per pool: each tick the pool finishes a
 * binomial share (exponential service times are memoryless) and takes its
 * Poisson demand, O(pools) per tick instead of O(nodes). A host leaving that
 * set (its drain, a crash, a stop) takes its own share out: each request of
 * the pool is on any of its R interchangeable members alike, so the share is
 * Binomial(held, 1/R). From then on its count is its own, exact, in its
 * {@link HostParticipant}, which the node's real `NodeDrainCoordinator`
 * watches; only those hosts are visited per tick.
 */
export class TrafficModel {
  readonly participants: HostParticipant[];
  readonly #fleet: Fleet;
  readonly #random: Random;
  readonly #checker: InvariantChecker;
  readonly #perTick: number;
  readonly #finish: BinomialTable;
  readonly #q: number;
  readonly tickMs: number;
  /** 1 while the host's requests are held in its pools' aggregates. */
  readonly #pooled: Uint8Array;
  /** Requests in flight on the pooled members of each pool. */
  readonly #held: Float64Array;
  /** Pooled members of each pool. */
  readonly #pooledCount: Int32Array;
  /** Hosts outside the aggregates with requests they may still finish, in the order they left. */
  readonly #exact = new Set<number>();
  served = 0;
  arrived = 0;
  /** Requests the router had nowhere to send (every member of the pool unavailable). */
  unroutable = 0;
  /** Requests a node refused because its gate was already closed (sent back; not lost). */
  refused = 0;
  /** Requests lost with a crashed host (allowed). */
  lostOnCrash = 0;
  /** Requests lost any other way (an invariant violation). */
  lost = 0;

  constructor(fleet: Fleet, settings: TrafficSettings, random: Random, checker: InvariantChecker) {
    this.#fleet = fleet;
    this.#random = random;
    this.#checker = checker;
    this.tickMs = settings.tickMs;
    this.#perTick = (settings.ratePerNode * settings.tickMs) / 1000;
    this.#q = 1 - Math.exp(-settings.tickMs / settings.serviceMs);
    this.#finish = new BinomialTable(this.#q);
    this.participants = Array.from({ length: fleet.size }, (_, i) => this.#participant(i));
    this.#pooled = new Uint8Array(fleet.size);
    this.#held = new Float64Array(fleet.members.length);
    this.#pooledCount = new Int32Array(fleet.members.length);
    for (let node = 0; node < fleet.size; node++) this.changed(node);
    fleet.onChange = (node) => this.changed(node);
  }

  #participant(node: number): HostParticipant {
    return new HostParticipant(`http-${this.#fleet.ids[node]!}`, this.#fleet.roleOf(node), () => this.changed(node));
  }

  inFlight(node: number): number {
    this.#unpool(node);
    const n = this.participants[node]!.inFlight();
    this.changed(node);
    return n;
  }

  /** A request that never finishes lands on the host (the hung-participant fault); false when its gate is closed. */
  stick(node: number): boolean {
    if (!this.participants[node]!.stick()) return false;
    this.arrived++;
    return true;
  }

  /** The hung request finally ends (the operator killed it). */
  unstick(node: number): void {
    const p = this.participants[node]!;
    const before = p.inFlight();
    p.unstick();
    this.served += before - p.inFlight();
  }

  /** Every request in flight now, held in the pools' aggregates or by hosts outside them. */
  totalInFlight(): number {
    let n = 0;
    for (const h of this.#held) n += h;
    for (const p of this.participants) n += p.inFlight();
    return n;
  }

  /** The host's routability or gate changed: move it into or out of its pools' aggregates. */
  changed(node: number): void {
    const fleet = this.#fleet;
    const want = fleet.routableFlag[node] === 1 && this.participants[node]!.open;
    if (this.#pooled[node] === 1) {
      if (!want) this.#unpool(node);
      else if (fleet.quiescedFlag[node] === 1) {
        this.#checker.report("no-route-to-draining", `router still sends to ${fleet.ids[node]!}, whose ${fleet.roleOf(node)} role is ${fleet.phase(node)}`, { node: fleet.ids[node]! });
      }
      return;
    }
    if (!want) return;
    this.#pooled[node] = 1;
    const pools = fleet.poolsOf(node);
    for (let k = 0; k < pools.length; k++) this.#pooledCount[pools[k]!]!++;
    this.#held[pools[0]!]! += this.participants[node]!.transfer(0);
    this.#exact.delete(node);
  }

  /** Takes the host's share of each of its pools' requests out of the aggregate into its own count. */
  #unpool(node: number): void {
    if (this.#pooled[node] === 0) return;
    this.#pooled[node] = 0;
    const pools = this.#fleet.poolsOf(node);
    let mine = 0;
    for (let k = 0; k < pools.length; k++) {
      const p = pools[k]!;
      const members = this.#pooledCount[p]!;
      const share = members <= 1 ? this.#held[p]! : binomial(this.#random, this.#held[p]!, 1 / members);
      this.#held[p]! -= share;
      this.#pooledCount[p]!--;
      mine += share;
    }
    this.participants[node]!.transfer(mine);
    if (mine > 0) this.#exact.add(node);
  }

  /** One tick: finish a share of what is in flight, then route the tick's arrivals. */
  tick(): void {
    const random = this.#random;
    const held = this.#held;
    for (let p = 0; p < held.length; p++) {
      const n = held[p]!;
      if (n === 0) continue;
      const done = n < 256 ? this.#finish.draw(random, n) : binomial(random, n, this.#q);
      held[p] = n - done;
      this.served += done;
    }
    if (this.#exact.size > 0) {
      for (const node of [...this.#exact]) {
        const participant = this.participants[node]!;
        const n = participant.finishable;
        if (n === 0) {
          this.#exact.delete(node);
          continue;
        }
        const done = this.#finish.draw(random, n);
        if (done === 0) continue;
        participant.end(done);
        this.served += done;
        if (participant.finishable === 0) this.#exact.delete(node);
      }
    }
    if (this.#perTick > 0) {
      const members = this.#fleet.members;
      for (let p = 0; p < members.length; p++) {
        const demand = poisson(random, this.#perTick * members[p]!.length);
        this.arrived += demand;
        if (this.#pooledCount[p] === 0) this.unroutable += demand;
        else held[p]! += demand;
      }
    }
  }

  /** The host crashed: its requests in flight are gone; the restarted host starts from a fresh participant. */
  crash(node: number): void {
    this.#unpool(node);
    this.lostOnCrash += this.participants[node]!.inFlight();
    this.#exact.delete(node);
    this.participants[node] = this.#participant(node);
  }

  /** The host is stopped on purpose (its upgrade): anything still in flight is lost, which its drain was there to prevent. */
  stop(node: number): void {
    this.#unpool(node);
    const left = this.participants[node]!.inFlight();
    if (left > 0) {
      this.lost += left;
      this.#checker.report("no-lost-request", `${this.#fleet.ids[node]!} was stopped with ${left} request(s) in flight`, { node: this.#fleet.ids[node]! });
    }
    this.#exact.delete(node);
    this.participants[node] = this.#participant(node);
  }
}
