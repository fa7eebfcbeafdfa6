import type { DrainParticipant, Random } from "@drainkit/core";
import type { Fleet } from "./fleet.ts";
import type { InvariantChecker } from "./invariants.ts";
import { BinomialTable, PoissonTable, poisson } from "./sample.ts";

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
  readonly #listeners = new Set<() => void>();

  constructor(name: string, role: string) {
    this.name = name;
    this.roles = [role];
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
    if (this.#stuck + this.#inFlight === 0) for (const fn of [...this.#listeners]) fn();
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
    if (this.#inFlight + this.#stuck === 0 && this.#listeners.size > 0) for (const fn of [...this.#listeners]) fn();
  }

  drain(): void {
    this.open = false;
  }

  inFlight(): number {
    return this.#inFlight + this.#stuck;
  }

  onIdle(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  resume(): void {
    this.open = true;
  }
}

/**
 * Requests in flight, in aggregate but exact. Each tick, every pool's demand
 * (Poisson, `ratePerNode × pool size`) is spread over the members the router
 * may use (one Poisson draw per member), and each member finishes a binomial
 * share of what it holds (exponential service times are memoryless, so every
 * request in flight finishes within a tick with the same probability). The
 * counts pass through each host's {@link HostParticipant}, which the node's
 * real `NodeDrainCoordinator` watches.
 */
export class TrafficModel {
  readonly participants: HostParticipant[];
  readonly #fleet: Fleet;
  readonly #random: Random;
  readonly #checker: InvariantChecker;
  readonly #perTick: number;
  readonly #finish: BinomialTable;
  readonly #tables: (PoissonTable | undefined)[];
  readonly tickMs: number;
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
    this.#finish = new BinomialTable(1 - Math.exp(-settings.tickMs / settings.serviceMs));
    this.participants = Array.from({ length: fleet.size }, (_, i) => new HostParticipant(`http-${fleet.ids[i]!}`, fleet.roleOf(i)));
    this.#tables = new Array<PoissonTable | undefined>(fleet.members.length).fill(undefined);
  }

  inFlight(node: number): number {
    return this.participants[node]!.inFlight();
  }

  /** One tick: finish a share of what is in flight, then route the tick's arrivals. */
  tick(): void {
    const fleet = this.#fleet;
    const random = this.#random;
    const finish = this.#finish;
    const participants = this.participants;
    for (let i = 0; i < fleet.size; i++) {
      const participant = participants[i]!;
      const n = participant.finishable;
      if (n === 0) continue;
      const done = finish.draw(random, n);
      if (done === 0) continue;
      participant.end(done);
      this.served += done;
    }
    if (this.#perTick > 0) for (let pool = 0; pool < fleet.members.length; pool++) this.#route(pool);
  }

  #route(pool: number): void {
    const fleet = this.#fleet;
    const members = fleet.members[pool]!;
    const flags = fleet.routableFlag;
    const participants = this.participants;
    let routable = 0;
    for (let k = 0; k < members.length; k++) {
      const node = members[k]!;
      if (flags[node] === 1 && participants[node]!.open) routable++;
    }
    if (routable === 0) {
      const demand = poisson(this.#random, this.#perTick * members.length);
      this.arrived += demand;
      this.unroutable += demand;
      return;
    }
    const mean = (this.#perTick * members.length) / routable;
    let table = this.#tables[pool];
    if (table === undefined || table.mean !== mean) {
      table = new PoissonTable(mean);
      this.#tables[pool] = table;
    }
    for (let k = 0; k < members.length; k++) {
      const node = members[k]!;
      const participant = participants[node]!;
      if (flags[node] === 0 || !participant.open) continue;
      const n = table.draw(this.#random);
      if (n === 0) continue;
      if (fleet.quiescedFlag[node] === 1) {
        this.#checker.report("no-route-to-draining", `router sent ${n} new request(s) to ${fleet.ids[node]!}, whose ${fleet.roleOf(node)} role is ${fleet.phase(node)}`, { node: fleet.ids[node]! });
      }
      this.arrived += n;
      const admitted = participant.begin(n);
      this.refused += n - admitted;
    }
  }

  /** The host crashed: its requests in flight are gone; the restarted host starts from a fresh participant. */
  crash(node: number): void {
    this.lostOnCrash += this.participants[node]!.inFlight();
    this.participants[node] = new HostParticipant(`http-${this.#fleet.ids[node]!}`, this.#fleet.roleOf(node));
  }

  /** The host is stopped on purpose (its upgrade): anything still in flight is lost, which its drain was there to prevent. */
  stop(node: number): void {
    const left = this.participants[node]!.inFlight();
    if (left > 0) {
      this.lost += left;
      this.#checker.report("no-lost-request", `${this.#fleet.ids[node]!} was stopped with ${left} request(s) in flight`, { node: this.#fleet.ids[node]! });
    }
    this.participants[node] = new HostParticipant(`http-${this.#fleet.ids[node]!}`, this.#fleet.roleOf(node));
  }
}
