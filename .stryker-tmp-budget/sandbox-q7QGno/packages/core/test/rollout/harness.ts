// @ts-nocheck
import {
  DrainScheduler,
  RolloutController,
  sleep,
  type FleetNode,
  type FleetView,
  type PoolBudget,
  type RolloutControllerOptions,
  type RolloutEvent,
  type RolloutHooks,
  type Workload,
} from "../../src/index.ts";
import { flushMicrotasks, RecordingEventSink, SimulatedClock } from "../../src/testing/index.ts";

/** An in-memory fleet on virtual time: the DrainScheduler moves workloads, the hooks flip phases. */
export class MemoryFleet {
  readonly clock = new SimulatedClock({ start: 1_700_000_000_000 });
  readonly nodes = new Map<string, { -readonly [K in keyof FleetNode]: FleetNode[K] }>();
  readonly scheduler: DrainScheduler;
  readonly observations: FleetView[] = [];
  failDrainOf = new Set<string>();

  constructor(nodes: readonly FleetNode[], workloads: readonly Workload[], batchSize = 3) {
    for (const n of nodes) this.nodes.set(n.id, { ...n });
    // A rollout wave drains its nodes together, so the scope allows as many drains as the wave holds.
    // Nodes here may be alone in their pool: the rollout is under test, not placement, so work may go to any node.
    this.scheduler = new DrainScheduler({ clock: this.clock, fleet: { nodes, workloads }, batchSize, maxDrainsPerScope: 1_000, destinations: "any" });
  }

  view = (): FleetView => ({ nodes: [...this.nodes.values()], workloads: this.scheduler.placement() });

  hooks(version: string): RolloutHooks {
    const set = (id: string, change: Partial<FleetNode>): void => {
      Object.assign(this.nodes.get(id)!, change);
      this.observations.push(this.view());
    };
    return {
      cordon: (id) => {
        this.scheduler.setSchedulable(id, false);
        set(id, { phase: "cordoned", schedulable: false });
      },
      drain: async (id, epoch, deadline) => {
        if (this.failDrainOf.has(id)) {
          await sleep(this.clock, 50);
          return { status: "failed", failure: "participant api kept 3 requests in flight" };
        }
        this.scheduler.startDrain({ target: id, epoch, deadline });
        set(id, { phase: "draining" });
        for (;;) {
          const moves = this.scheduler.tick();
          const st = this.scheduler.status(id)!;
          if (st.status !== "draining") {
            if (st.status === "drained") set(id, { phase: "drained" });
            return st.status === "drained" ? { status: "drained" } : { status: "failed", failure: st.reason ?? "failed" };
          }
          await sleep(this.clock, 100);
          for (const m of moves) this.scheduler.moveCommitted(m);
          this.scheduler.reportProgress({ target: id, epoch, inFlight: 0 });
          this.observations.push(this.view());
        }
      },
      upgrade: async (id) => {
        await sleep(this.clock, 1_000);
        set(id, { version });
      },
      resume: (id) => {
        this.scheduler.resumeNode(id);
        set(id, { phase: "active", schedulable: true });
      },
      observe: (id) => {
        const n = this.nodes.get(id)!;
        return { version: n.version, live: n.healthy !== false, phase: n.phase, reportedAt: this.clock.now() };
      },
    };
  }

  controller(pools: readonly PoolBudget[], version: string, extra: Partial<RolloutControllerOptions> = {}): { controller: RolloutController; events: RecordingEventSink<RolloutEvent> } {
    const events = new RecordingEventSink<RolloutEvent>();
    const controller = new RolloutController({ clock: this.clock, pools, fleet: this.view, hooks: this.hooks(version), events, ...extra });
    return { controller, events };
  }

  /** Runs virtual time until `promise` settles (or nothing is left to run). */
  async settle<T>(promise: Promise<T>, onIdle?: () => void): Promise<T | undefined> {
    let out: { value: T } | undefined;
    void promise.then((value) => (out = { value }));
    for (let i = 0; i < 100_000 && out === undefined; i++) {
      await flushMicrotasks();
      if (out !== undefined) break;
      if (!this.clock.step()) {
        if (onIdle === undefined) break;
        onIdle();
        onIdle = undefined;
      }
    }
    await flushMicrotasks();
    return out?.value;
  }
}

export const fleetNode = (id: string, pools: readonly string[], extra: Partial<FleetNode> = {}): FleetNode => ({
  id,
  pools,
  phase: "active",
  version: "1.0.0",
  ...extra,
});
