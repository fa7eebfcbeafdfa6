import { NodeDrainCoordinator, type Clock, type Random } from "@drainkit/core";
import { DrainAgent, WorkloadSet } from "@drainkit/agent";
import type { ControlPlaneClient } from "@drainkit/client";
import type { PlacedWorkload } from "@drainkit/registry";
import type { Fleet } from "../model/fleet.ts";
import type { InvariantChecker } from "../model/invariants.ts";
import { span } from "../model/sample.ts";
import type { TrafficModel } from "../model/traffic.ts";
import type { Span } from "../scenario/types.ts";

/**
 * The simulator's ledger of workloads: which hosts run each workload now,
 * as the hosts' start and stop handlers (the simulated part) did it. Never
 * read from the agent or the registry.
 */
export class WorkloadLedger {
  /** Workloads each host runs. */
  readonly held: Int32Array;
  readonly #holders = new Map<string, Set<number>>();
  moves = 0;
  lost = 0;
  readonly #fleet: Fleet;
  readonly #checker: InvariantChecker;

  constructor(fleet: Fleet, checker: InvariantChecker) {
    this.#fleet = fleet;
    this.#checker = checker;
    this.held = new Int32Array(fleet.size);
  }

  started(node: number, id: string): void {
    let h = this.#holders.get(id);
    if (h === undefined) this.#holders.set(id, (h = new Set()));
    if (h.has(node)) return;
    h.add(node);
    this.held[node]!++;
  }

  stopped(node: number, id: string): void {
    const h = this.#holders.get(id);
    if (h === undefined || !h.delete(node)) return;
    this.held[node]!--;
    if (h.size === 0) {
      this.lost++;
      this.#checker.report("no-lost-workload", `workload ${id} was stopped on ${this.#fleet.ids[node]!} with no other copy running`, { node: this.#fleet.ids[node]! });
    } else this.moves++;
  }

  /** The host is stopped (its upgrade): whatever it still runs is gone with it. */
  hostStopped(node: number): void {
    for (const [id, h] of this.#holders) {
      if (!h.has(node)) continue;
      this.stopped(node, id);
    }
  }
}

/** What one simulated host is made of: the real agent, its coordinator and its workload set, over the modelled traffic and workloads. */
export interface SimHost {
  readonly agent: DrainAgent;
  readonly coordinator: NodeDrainCoordinator;
  readonly workloads: WorkloadSet;
  readonly version: string;
}

/** Timing of the agents (the shipped defaults unless a scenario says otherwise). */
export interface AgentTiming {
  readonly heartbeatMs: number;
  readonly drainReportMs: number;
  readonly pollMs: number;
}

/** Builds host `node`: its workloads (started in the ledger), a real coordinator over its traffic participant and workload set, and a real `DrainAgent`. */
export function buildHost(
  node: number,
  ctx: {
    readonly fleet: Fleet;
    readonly traffic: TrafficModel | undefined;
    readonly ledger: WorkloadLedger;
    readonly clock: Clock;
    readonly random: Random;
    readonly client: ControlPlaneClient;
    readonly timing: AgentTiming;
    readonly moveMs: Span | undefined;
    readonly version: string;
    readonly initial: readonly PlacedWorkload[];
  },
): SimHost {
  const { fleet, ledger, clock, random } = ctx;
  const id = fleet.ids[node]!;
  const role = fleet.roleOf(node);
  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      clock.setTimer(ms, () => (signal.aborted ? reject(signal.reason as Error) : resolve()));
    });
  const workloads = new WorkloadSet(
    {
      // Starting a moved workload takes its time; stopping one is at once. Both are the ledger's facts.
      start: async (w, _move, signal) => {
        await sleep(span(random, ctx.moveMs, 2_000), signal);
        ledger.started(node, w.id);
      },
      stop: async (w) => {
        ledger.stopped(node, w.id);
      },
    },
    ctx.initial,
    { roles: [role] },
  );
  for (const w of ctx.initial) ledger.started(node, w.id);
  const participants = ctx.traffic === undefined ? [workloads] : [ctx.traffic.participants[node]!, workloads];
  const coordinator = new NodeDrainCoordinator({ clock, participants, roles: [role], node: id });
  const agent = new DrainAgent({
    controlPlane: ctx.client,
    peer: { id, address: `${id}.sim:8080`, pools: [...fleet.poolsOf(node)].map((p) => fleet.pools[p]!.name), roles: [role], labels: { version: ctx.version } },
    coordinator,
    clock,
    random,
    workloads,
    heartbeatMs: ctx.timing.heartbeatMs,
    drainReportMs: ctx.timing.drainReportMs,
    pollMs: ctx.timing.pollMs,
  });
  return { agent, coordinator, workloads, version: ctx.version };
}

/** The workloads a generated host starts with: `owners` owners, each with `children` children. */
export function initialWorkloads(id: string, owners: number, childrenPerOwner: number): PlacedWorkload[] {
  const out: PlacedWorkload[] = [];
  for (let o = 0; o < owners; o++) {
    const owner = `${id}.w${o}`;
    out.push({ id: owner });
    for (let c = 0; c < childrenPerOwner; c++) out.push({ id: `${owner}.c${c}`, owner });
  }
  return out;
}
