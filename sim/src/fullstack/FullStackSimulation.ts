import { SeededRandom, silentLogger, type Random, type RolePhase } from "@drainkit/core";
import { createRegistry, makeMemoryStore, type MemoryStore, type Peer, type Principal, type Registry, type Rollout } from "@drainkit/registry";
import { ELECTION, fencedStore, Leadership, startLeaderControllers } from "@drainkit/control-plane/controllers";
import { Engine, settle, SIM_EPOCH_MS } from "../engine/Engine.ts";
import { servesTraffic } from "../model/budgetOracle.ts";
import { Fleet } from "../model/fleet.ts";
import { InvariantChecker } from "../model/invariants.ts";
import { span, TrafficRandom } from "../model/sample.ts";
import { TrafficModel } from "../model/traffic.ts";
import type { Scenario, ScenarioAction, Span } from "../scenario/types.ts";
import { TraceLog } from "../simulation/TraceLog.ts";
import { TRACE_TAIL, type BlockedDrain, type SimReport, type TraceRecord } from "../simulation/types.ts";
import { buildHost, initialWorkloads, WorkloadLedger, type AgentTiming, type SimHost } from "./hosts.ts";
import { SimNetwork } from "./network.ts";

/** Options of {@link FullStackSimulation}; the seams are for tests that prove the checks can fail. */
export interface FullStackOptions {
  readonly seed?: number;
  readonly nodes?: number;
  readonly trace?: (record: TraceRecord) => void;
  readonly onProgress?: (simulatedMs: number, events: number) => void;
  readonly stopAtFirstViolation?: boolean;
  /** Seam: wraps the registry the simulated network calls (a broken registry for the tests). */
  readonly registry?: (registry: Registry) => Registry;
  /** Seam: settings written to the registry's config instead of the scenario's (e.g. a liveness window the ledger does not use). */
  readonly config?: Readonly<Record<string, unknown>>;
}

const spanMax = (s: Span | undefined, fallback: number): number => (s === undefined ? fallback : typeof s === "number" ? s : s.max);

const OPERATOR: Principal = { id: "sim-operator", scopes: ["mesh.operate"] };
const ADMIN: Principal = { id: "sim-admin", scopes: ["mesh.admin"] };
const TARGET = "2";

interface Replica {
  readonly id: string;
  readonly client: MemoryStore;
  readonly leadership: Leadership;
}

/**
 * Full-stack mode: the shipped registry (on the in-memory store), the
 * control plane's leader controllers under the store's real election (two
 * replicas; a failover closes the leader's store client, as a lost lease
 * would), and one real `DrainAgent` per host, all on the engine's virtual
 * clock. Only the network ({@link SimNetwork}), the hosts' traffic and
 * their workloads are modelled. The invariants read the simulator's own
 * ledger: the traffic model's counts, the {@link WorkloadLedger}, which
 * hosts are up and which the network has silenced.
 */
export class FullStackSimulation {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly engine = new Engine({ capacity: 4096 });
  readonly fleet: Fleet;
  readonly checker: InvariantChecker;
  readonly #options: FullStackOptions;
  readonly #random: Random;
  readonly #traffic: TrafficModel | undefined;
  readonly #ledger: WorkloadLedger;
  readonly #store = makeMemoryStore();
  readonly #api: Registry;
  readonly #network: SimNetwork;
  readonly #hosts: (SimHost | undefined)[];
  readonly #replicas: (Replica | undefined)[] = [];
  readonly #log = new TraceLog(TRACE_TAIL);
  readonly #timing: AgentTiming;
  readonly #staleAfterMs: number;
  readonly #slackMs: number;
  readonly #K: Record<string, number> = {};
  /** Virtual time each host's current drain started (for the liveness oracle). */
  readonly #drainStartedAt: Float64Array;
  readonly #upgrading = new Set<number>();
  readonly #counts = { started: 0, completed: 0, failed: 0, refused: 0 };
  readonly #faults: Record<string, number> = {};
  readonly #failed: { node: string; reason: string }[] = [];
  readonly #blocked: BlockedDrain[] = [];
  #violationTrace: TraceRecord[] = [];
  #rolloutsOpen = 0;
  #rolloutTargets = 0;
  #rolloutUpgraded = 0;
  #pendingActions = 0;
  #pendingFaults = 0;
  #failovers = 0;
  #workDoneAt = 0;

  constructor(scenario: Scenario, options: FullStackOptions = {}) {
    const nodes = scenario.fleet.snapshot === undefined ? (options.nodes ?? scenario.fleet.nodes) : scenario.fleet.nodes;
    this.scenario = nodes === scenario.fleet.nodes ? scenario : { ...scenario, fleet: { ...scenario.fleet, nodes } };
    this.seed = options.seed ?? scenario.seed ?? 1;
    this.#options = options;
    const root = new SeededRandom(this.seed);
    this.#random = root.fork();
    const trafficRandom = new TrafficRandom(root.int(-0x80000000, 0x7fffffff));
    this.checker = new InvariantChecker({ stopAtFirst: options.stopAtFirstViolation ?? true });
    this.fleet = new Fleet(this.scenario);
    const s = this.scenario;
    for (const a of s.actions) if (a.type !== "rolling-upgrade" && a.type !== "drain") throw new Error(`full-stack mode: action "${a.type}" is not modelled yet (use --mode core)`);
    for (const f of s.faults ?? []) if (f.type !== "coordinator-failover" && f.type !== "agent-partition") throw new Error(`full-stack mode: fault "${f.type}" is not modelled yet (use --mode core)`);
    this.#traffic =
      s.traffic === undefined || s.traffic.ratePerNode === 0
        ? undefined
        : new TrafficModel(this.fleet, { ratePerNode: s.traffic.ratePerNode, serviceMs: s.traffic.serviceMs, tickMs: s.traffic.tickMs ?? 100 }, trafficRandom, this.checker);
    this.#ledger = new WorkloadLedger(this.fleet, this.checker);
    this.#slackMs = s.drain?.slackMs ?? 5_000;
    this.#staleAfterMs = s.liveness?.staleAfterMs ?? 30_000;
    this.#timing = { heartbeatMs: s.liveness?.heartbeatMs ?? 5_000, drainReportMs: 1_000, pollMs: 2_000 };
    const clock = this.engine.clock;
    const api = createRegistry({ store: this.#store.connect(), clock, random: this.#random.fork(), pools: this.fleet.pools, logger: silentLogger });
    this.#api = options.registry?.(api) ?? api;
    this.#network = new SimNetwork(clock, this.#random.fork(), { ...(s.network?.delayMs === undefined ? {} : { delayMs: s.network.delayMs }), loss: s.network?.loss ?? 0 }, this.fleet.size, () => this.#api);
    this.#hosts = new Array<SimHost | undefined>(this.fleet.size).fill(undefined);
    this.#drainStartedAt = new Float64Array(this.fleet.size);
    const e = this.engine;
    this.#K.startAgent = e.register((node) => this.#startHost(node, "1"));
    this.#K.action = e.register((i) => this.#action(i));
    this.#K.fault = e.register((i) => this.#fault(i));
    this.#K.deadline = e.register((node, epoch) => this.#deadlineCheck(node, epoch));
    this.#K.upgraded = e.register((node) => this.#upgraded(node));
    this.#K.replicaUp = e.register((i) => this.#startReplica(i));
    this.#K.heal = e.register((node) => this.#trace("partition-healed", { node: this.fleet.ids[node] }));
    this.#K.traffic = e.register(() => {
      this.#traffic!.tick();
      if (!this.#finished) e.schedule(this.#traffic!.tickMs, this.#K.traffic!);
    });
  }

  get #finished(): boolean {
    return this.#pendingActions === 0 && this.#pendingFaults === 0 && this.#rolloutsOpen === 0 && this.#upgrading.size === 0 && this.fleet.totalDraining === 0;
  }

  async run(): Promise<SimReport> {
    const wall = performance.now();
    const engine = this.engine;
    const s = this.scenario;
    await this.#api.patchConfig(ADMIN, { "heartbeat.staleAfterMs": this.#staleAfterMs, ...(this.#options.config ?? {}) }, { confirm: true, reason: "simulation settings" });
    await this.#network.open();
    const { revision } = await this.#api.listPeers(ADMIN, { limit: 1 });
    this.#api.watchAll(revision, (change) => {
      if (change.kind === "peer") this.#observePeer(change.id, change.value as Peer | undefined);
      else if (change.kind === "rollout" && change.value !== undefined) this.#observeRollout(change.value as Rollout);
    });
    this.#startReplica(0);
    this.#startReplica(1);
    for (let node = 0; node < this.fleet.size; node++) engine.schedule(this.#random.next() * 2_000, this.#K.startAgent!, node);
    s.actions.forEach((a, i) => {
      this.#pendingActions++;
      engine.at(a.at, this.#K.action!, i);
    });
    (s.faults ?? []).forEach((f, i) => {
      this.#pendingFaults++;
      engine.at(f.at, this.#K.fault!, i);
    });
    if (this.#traffic !== undefined) engine.schedule(this.#traffic.tickMs, this.#K.traffic!);
    await settle();
    let nextProgress = 100_000;
    while (engine.step(s.durationMs)) {
      this.checker.eventIndex = engine.events - 1;
      this.checker.atMs = engine.now;
      await settle();
      if (this.checker.failed && this.#violationTrace.length === 0) this.#violationTrace = this.#log.tail();
      if (this.checker.failed && this.checker.stopAtFirst) break;
      if (engine.events >= nextProgress) {
        nextProgress += 100_000;
        this.#options.onProgress?.(engine.now, engine.events);
      }
      if (this.#finished && engine.now > 0) break;
    }
    for (const r of this.#replicas) void r?.leadership.stop();
    for (const h of this.#hosts) void h?.agent.stop();
    this.#network.close();
    await settle();
    return this.#report(performance.now() - wall);
  }

  // ---- the control plane ----------------------------------------------------------------

  #startReplica(i: number): void {
    const clock = this.engine.clock;
    const id = `cp-${String.fromCharCode(97 + i)}${this.#replicas[i] === undefined ? "" : `.${this.#failovers}`}`;
    const client = this.#store.connect();
    const random = this.#random.fork();
    const leadership = new Leadership({
      store: client,
      clock,
      logger: silentLogger,
      candidate: id,
      work: async (_signal, term) => {
        this.#trace("elected", { replica: id });
        // The same controllers `drainkit serve` starts, on a registry whose writes carry the term's fence.
        return startLeaderControllers({
          registry: createRegistry({ store: fencedStore(client, term.fence), clock, random, pools: this.fleet.pools, logger: silentLogger }),
          clock,
          logger: silentLogger,
          replicaId: id,
        });
      },
    });
    this.#replicas[i] = { id, client, leadership };
    leadership.start();
  }

  async #failover(downMs: number): Promise<void> {
    const leader = await this.#store.leader(ELECTION);
    const i = this.#replicas.findIndex((r) => r?.id === leader);
    if (i < 0) return;
    const r = this.#replicas[i]!;
    this.#failovers++;
    this.#trace("failover", { leader: r.id });
    // The leader's store client closes, as a lost lease would: its term ends, the standby is elected.
    await r.client.close();
    void r.leadership.stop();
    this.engine.schedule(downMs, this.#K.replicaUp!, i);
  }

  // ---- hosts --------------------------------------------------------------------------------

  #startHost(node: number, version: string): void {
    const s = this.scenario;
    const id = this.fleet.ids[node]!;
    const owners = version === "1" ? (s.fleet.ownersPerNode ?? 2) : 0;
    const host = buildHost(node, {
      fleet: this.fleet,
      traffic: this.#traffic,
      ledger: this.#ledger,
      clock: this.engine.clock,
      random: this.#random.fork(),
      client: this.#network.client(node, id),
      timing: this.#timing,
      moveMs: s.drain?.moveMs,
      version,
      initial: initialWorkloads(id, owners, s.fleet.childrenPerOwner ?? 2),
    });
    this.#hosts[node] = host;
    this.fleet.up[node] = 1;
    this.fleet.refresh(node);
    host.agent.start().catch((e: unknown) => this.#trace("agent-start-failed", { node: id, err: e instanceof Error ? e.message : String(e) }));
  }

  /** The host's tooling upgrades a drained host: it stops (anything still on it is lost, per the ledger) and comes back with the new version. */
  #stopForUpgrade(node: number): void {
    const host = this.#hosts[node];
    if (host === undefined || host.version === TARGET || this.#upgrading.has(node)) return;
    this.#upgrading.add(node);
    this.#trace("upgrade-stop", { node: this.fleet.ids[node] });
    this.#traffic?.stop(node);
    this.#ledger.hostStopped(node);
    void host.agent.stop();
    this.#hosts[node] = undefined;
    this.fleet.up[node] = 0;
    this.fleet.refresh(node);
    const a = this.scenario.actions.find((x) => x.type === "rolling-upgrade");
    this.engine.schedule(span(this.#random, a?.type === "rolling-upgrade" ? a.upgradeMs : undefined, 60_000), this.#K.upgraded!, node);
  }

  #upgraded(node: number): void {
    this.#upgrading.delete(node);
    this.#trace("upgrade-done", { node: this.fleet.ids[node] });
    this.#startHost(node, TARGET);
  }

  // ---- actions and faults ----------------------------------------------------------------------

  #action(i: number): void {
    const a = this.scenario.actions[i]!;
    // The agents start in the first two seconds; an action due before every host has reported once waits for the fleet to be up.
    if (!this.#network.lastHeard.every((t) => t > -Infinity)) {
      this.engine.schedule(500, this.#K.action!, i);
      return;
    }
    this.#pendingActions--;
    if (a.type === "rolling-upgrade") void this.#startRollout(a);
    else if (a.type === "drain") void this.#drainNodes(a);
  }

  async #startRollout(a: Extract<ScenarioAction, { type: "rolling-upgrade" }>): Promise<void> {
    const f = this.fleet;
    let room = 0;
    f.pools.forEach((_, p) => (room += Math.max(1, f.members[p]!.length - f.required[p]!)));
    try {
      const out = await this.#api.startRollout(OPERATOR, {
        version: TARGET,
        ...(a.nodes === undefined ? {} : { selector: { nodes: a.nodes } }),
        maxParallel: a.maxParallel ?? room,
        drainTimeoutMs: this.scenario.drain?.deadlineMs ?? 120_000,
        // The hosts' upgrade takes up to `upgradeMs`: the operator gives the node that long and a minute to come back healthy.
        healthTimeoutMs: spanMax(a.upgradeMs, 60_000) + 60_000,
        reason: "simulated rolling upgrade",
      });
      this.#rolloutsOpen++;
      this.#rolloutTargets += Object.keys(out.value.nodes).length;
      this.#trace("rollout-started", { id: out.value.id, nodes: Object.keys(out.value.nodes).length });
    } catch (e) {
      this.#counts.refused++;
      this.#blocked.push({ node: "(rollout)", reason: e instanceof Error ? e.message : String(e) });
    }
  }

  async #drainNodes(a: Extract<ScenarioAction, { type: "drain" }>): Promise<void> {
    for (const node of a.nodes) {
      try {
        await this.#api.drain(OPERATOR, node, { reason: "simulated drain", deadlineMs: this.scenario.drain?.deadlineMs ?? 120_000 });
      } catch (e) {
        this.#counts.refused++;
        this.#blocked.push({ node, reason: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  #fault(i: number): void {
    const f = this.scenario.faults![i]!;
    this.#pendingFaults--;
    this.#faults[f.type] = (this.#faults[f.type] ?? 0) + 1;
    if (f.type === "coordinator-failover") void this.#failover(span(this.#random, f.downMs, 2_000));
    else if (f.type === "agent-partition") {
      const candidates = f.pool === undefined ? Array.from({ length: this.fleet.size }, (_, k) => k) : [...this.fleet.members[this.fleet.pools.findIndex((p) => p.name === f.pool)] ?? []];
      const until = this.engine.now + span(this.#random, f.durationMs, 60_000);
      for (let k = 0; k < f.count && candidates.length > 0; k++) {
        const node = candidates.splice(Math.floor(this.#random.next() * candidates.length), 1)[0]!;
        this.#trace("partition", { node: this.fleet.ids[node], until });
        this.#network.partition(node, until);
        this.engine.at(until, this.#K.heal!, node);
      }
    }
  }

  // ---- the oracles: the registry's word against the ledger -----------------------------------

  /**
   * Silent: the host's last report reached the registry longer ago than the
   * liveness window (or never). The registry compares epoch milliseconds
   * (2026 + virtual time), which round differently from virtual time: a host
   * within a millisecond of the window's edge is given the benefit of the doubt.
   */
  #silent(node: number): boolean {
    return this.engine.now - this.#network.lastHeard[node]! > this.#staleAfterMs + 1;
  }

  /** Members of pool `p` available by the ledger: up, heard within the liveness window, and active or cordoned in the registry. */
  #available(p: number): number {
    let n = 0;
    for (const node of this.fleet.members[p]!) if (this.fleet.up[node] === 1 && !this.#silent(node) && servesTraffic(this.fleet.phase(node))) n++;
    return n;
  }

  #observePeer(id: string, peer: Peer | undefined): void {
    const f = this.fleet;
    const node = f.index(id);
    if (node < 0 || peer === undefined) return;
    const role = f.roleOf(node);
    const phase = (peer.phases[role] ?? "active") as RolePhase;
    const before = f.state[node]!.roles[role]!;
    if (phase === before.phase && peer.epoch === before.epoch) return;
    const countedBefore = f.up[node] === 1 && !this.#silent(node) && servesTraffic(before.phase);
    this.checker.phaseChange(id, role, before.phase, phase, before.epoch, peer.epoch);
    const state = f.state[node]!;
    f.state[node] = { ...state, epoch: peer.epoch, roles: { ...state.roles, [role]: { ...before, phase, epoch: peer.epoch } } };
    f.refresh(node);
    this.#trace("phase", { node: id, from: before.phase, to: phase, epoch: peer.epoch });
    if (phase === "draining" && peer.epoch > before.epoch) {
      this.#counts.started++;
      this.#drainStartedAt[node] = this.engine.now;
      const deadline = peer.spec.drain?.deadline;
      if (deadline !== undefined) this.engine.at(deadline - SIM_EPOCH_MS + this.#slackMs, this.#K.deadline!, node, peer.epoch);
      this.#checkPools(node, countedBefore, peer.spec.drain?.forced === true);
    } else if (phase === "drained") {
      this.#counts.completed++;
      const inFlight = this.#traffic?.inFlight(node) ?? 0;
      const held = this.#ledger.held[node]!;
      if (inFlight > 0 || held > 0) {
        this.checker.report("drain-truthful", `the registry reports ${id} drained (epoch ${peer.epoch}) while the host holds ${inFlight} request(s) in flight and ${held} workload(s)`, { node: id });
      }
      if (this.#rolloutsOpen > 0) this.#stopForUpgrade(node);
    } else if (phase === "failed") {
      this.#counts.failed++;
      const reason = peer.spec.drain?.failure?.reason ?? peer.status?.reason ?? "";
      this.#failed.push({ node: id, reason });
      const silentAllAlong = this.#network.lastHeard[node]! < this.#drainStartedAt[node]!;
      if (silentAllAlong && !reason.startsWith("agent-unreachable")) {
        this.checker.report("drain-ends-by-deadline", `the drain of ${id}, whose agent was never heard since it started, failed with "${reason}" instead of agent-unreachable`, { node: id });
      }
    }
  }

  /**
   * A drain admitted may cost each pool of the node availability only while
   * the pool stays within its budget, counted from the ledger: a host the
   * network has silenced past the liveness window is not available, whatever
   * the registry believes. A pool already short is the guard's doing only if
   * the change made it worse.
   */
  #checkPools(node: number, countedBefore: boolean, forced: boolean): void {
    const f = this.fleet;
    for (const p of f.poolsOf(node)) {
      const now = this.#available(p);
      const before = now + (countedBefore ? 1 : 0);
      if (now >= before || now >= f.required[p]!) continue;
      if (forced) continue;
      const silent = f.members[p]!.reduce((n, m) => n + (f.up[m] === 1 && this.#silent(m) ? 1 : 0), 0);
      this.checker.report(
        "pool-availability",
        `pool ${f.pools[p]!.name}: draining ${f.ids[node]!} leaves ${now} of ${f.members[p]!.length} available (${silent} silent past the ${this.#staleAfterMs} ms liveness window), below the ${f.required[p]} its budget requires`,
        { pool: f.pools[p]!.name, node: f.ids[node]! },
      );
    }
  }

  #deadlineCheck(node: number, epoch: number): void {
    const f = this.fleet;
    if (f.phase(node) !== "draining" || f.epoch(node) !== epoch) return;
    this.checker.report("drain-ends-by-deadline", `the drain of ${f.ids[node]!} (epoch ${epoch}) is still draining ${this.#slackMs} ms past its deadline`, { node: f.ids[node]! });
  }

  #observeRollout(r: Rollout): void {
    // A rollout the runner paused (failures past its threshold) waits for an operator the simulation does not have: it ends here.
    if (r.state !== "completed" && r.state !== "incomplete" && r.state !== "aborted" && r.state !== "paused") return;
    if (this.#rolloutsOpen === 0) return;
    this.#rolloutsOpen--;
    const steps = Object.entries(r.nodes);
    this.#rolloutUpgraded += steps.filter(([, n]) => n.step === "healthy").length;
    for (const [node, n] of steps) if (n.step === "pending" && n.reason !== undefined) this.#blocked.push({ node, reason: n.reason });
    this.#workDoneAt = this.engine.now;
    this.#trace("rollout-ended", { id: r.id, state: r.state, ...(r.stateReason === undefined ? {} : { reason: r.stateReason }) });
    if (r.state !== "completed") this.#blocked.push({ node: `(rollout ${r.id})`, reason: `${r.state}${r.stateReason === undefined ? "" : `: ${r.stateReason}`}` });
  }

  #trace(type: string, fields: Record<string, unknown>): void {
    const record: TraceRecord = { i: this.engine.events - 1, t: Math.round(this.engine.now * 1000) / 1000, type, ...fields };
    this.#log.add(record);
    this.#options.trace?.(record);
  }

  #report(wallMs: number): SimReport {
    const f = this.fleet;
    const t = this.#traffic;
    const minAvailability: Record<string, number> = {};
    f.pools.forEach((p, i) => (minAvailability[p.name] = Math.round(f.minRatio[i]! * 10_000) / 10_000));
    const outcome = {
      scenario: this.scenario.name,
      seed: this.seed,
      nodes: f.size,
      events: this.engine.events,
      simulatedMs: Math.round(this.engine.now),
      drains: { ...this.#counts },
      minAvailability,
      requests: { arrived: t?.arrived ?? 0, served: t?.served ?? 0, unroutable: t?.unroutable ?? 0, refused: t?.refused ?? 0, lostOnCrash: t?.lostOnCrash ?? 0 },
      lostRequests: t?.lost ?? 0,
      lostWorkloads: this.#ledger.lost,
      workloadMoves: this.#ledger.moves,
      forcedBreaches: 0,
      faults: { ...this.#faults },
      invariantViolations: this.checker.violations,
      finished: this.#finished,
    };
    const hash = this.#log.digest(JSON.stringify(outcome));
    const status: SimReport["status"] = this.checker.failed ? "violated" : this.#blocked.length > 0 ? "blocked" : !this.#finished || this.#rolloutUpgraded < this.#rolloutTargets ? "incomplete" : "completed";
    const poolFloors: Record<string, { size: number; required: number }> = {};
    f.pools.forEach((p, i) => (poolFloors[p.name] = { size: f.members[i]!.length, required: f.required[i]! }));
    return {
      ...outcome,
      mode: "full-stack",
      poolFloors,
      wallMs: Math.round(wallMs),
      eventsPerSec: Math.round(this.engine.events / (Math.max(wallMs, 0.001) / 1000)),
      speedup: Math.round(this.engine.now / Math.max(wallMs, 0.001)),
      violationTrace: this.#violationTrace,
      peakHeapMB: Math.round(process.memoryUsage().heapUsed / 1048576),
      hash,
      blocked: [...this.#blocked],
      status,
      controlPlaneDownMs: 0,
      notUpgraded: this.#rolloutTargets - this.#rolloutUpgraded,
      workDoneMs: Math.round(this.#workDoneAt),
      failedDrains: [...this.#failed],
      // Full-stack mode refuses `cordons` actions (see the constructor): none asked, none refused.
      cordons: { cordoned: 0, refused: 0, refusals: [] },
    };
  }
}
