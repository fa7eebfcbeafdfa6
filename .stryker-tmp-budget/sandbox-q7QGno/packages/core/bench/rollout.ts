// @ts-nocheck
// Planning a rolling upgrade of 10,000 nodes in 100 pools (maxUnavailable 10%,
// maxParallel 500). Figures: the first plan's wall time, then a warm mean.
import { figure } from "@drainkit/bench";
import { DrainScheduler, planRollout, RolloutController, sleep, type FleetNode, type PoolBudget } from "../src/index.ts";
import { SimulatedClock } from "../src/testing/index.ts";

const nodes: FleetNode[] = Array.from({ length: 10_000 }, (_, i) => ({ id: `n${i}`, pools: [`p${i % 100}`], phase: "active", version: "1.0.0" }));
const pools: PoolBudget[] = Array.from({ length: 100 }, (_, i) => ({ name: `p${i}`, maxUnavailable: "10%" }));
const start = performance.now();
const plan = planRollout({ nodes }, { version: "2.0.0" }, { pools, maxParallel: 500 });
const ms = performance.now() - start;
figure("core.rollout.plan_10000_nodes", ms, "ms", { waves: plan.waves.length, blocked: plan.blocked.length });
// Warm: the mean of 20 further plans, once the JIT has seen the code.
const warm = performance.now();
for (let i = 0; i < 20; i++) planRollout({ nodes }, { version: "2.0.0" }, { pools, maxParallel: 500 });
figure("core.rollout.plan_10000_nodes_warm", (performance.now() - warm) / 20, "ms", { first: Math.round(ms) });
const serial = performance.now();
const one = planRollout({ nodes }, { version: "2.0.0" }, { pools: [{ name: "p0", maxUnavailable: 1 }], maxParallel: 1 });
figure("core.rollout.plan_10000_nodes_one_per_wave", performance.now() - serial, "ms", { waves: one.waves.length });

// Driving a whole rollout on virtual time, as the simulator does: 1,000 nodes in
// 10 pools (maxUnavailable 10%), 5,000 workloads moved by the DrainScheduler,
// maxParallel 50. The figure is wall time for the entire run.
{
  const clock = new SimulatedClock();
  const fleetNodes = new Map<string, FleetNode>(
    Array.from({ length: 1_000 }, (_, i) => [`n${i}`, { id: `n${i}`, pools: [`p${i % 10}`], phase: "active", version: "1.0.0" }]),
  );
  const workloads = Array.from({ length: 5_000 }, (_, i) => (i % 5 === 0 ? { id: `w${i}`, node: `n${i % 1_000}` } : { id: `w${i}`, node: `n${i % 1_000}`, owner: `w${i - (i % 5)}` }));
  const scheduler = new DrainScheduler({ clock, fleet: { nodes: [...fleetNodes.values()], workloads }, batchSize: 10, maxDrainsPerScope: 1_000, awaitIdleReport: false });
  const set = (id: string, change: Partial<FleetNode>): void => void fleetNodes.set(id, { ...fleetNodes.get(id)!, ...change });
  const rollout = new RolloutController({
    clock,
    pools: Array.from({ length: 10 }, (_, i) => ({ name: `p${i}`, maxUnavailable: "10%" })),
    fleet: () => ({ nodes: [...fleetNodes.values()] }),
    maxParallel: 50,
    hooks: {
      cordon: (id) => {
        scheduler.setSchedulable(id, false);
        set(id, { phase: "cordoned", schedulable: false });
      },
      drain: async (id, epoch, deadline) => {
        scheduler.startDrain({ target: id, epoch, deadline });
        set(id, { phase: "draining" });
        for (;;) {
          const moves = scheduler.tick();
          const st = scheduler.status(id)!;
          if (st.status !== "draining") return { status: st.status };
          await sleep(clock, 100);
          for (const m of moves) scheduler.moveCommitted(m);
        }
      },
      upgrade: () => sleep(clock, 1_000),
      resume: (id) => {
        scheduler.resumeNode(id);
        set(id, { phase: "active", schedulable: true, version: "2.0.0" });
      },
      observe: (id) => ({ version: fleetNodes.get(id)!.version, live: true, phase: fleetNodes.get(id)!.phase, reportedAt: clock.now() }),
    },
  });
  const t0 = performance.now();
  let result: Awaited<ReturnType<typeof rollout.start>> | undefined;
  void rollout.start({ version: "2.0.0" }).then((r) => (result = r));
  let steps = 0;
  // Promise continuations settle within a few microtask turns; a macrotask
  // flush (setImmediate) per timer would measure the event loop, not the rollout.
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 64; i++) await Promise.resolve();
  };
  while (result === undefined) {
    await settle();
    if (result === undefined && !clock.step()) break;
    steps++;
  }
  figure("core.rollout.run_1000_nodes_virtual_time", performance.now() - t0, "ms", {
    status: result?.status,
    upgraded: result?.upgraded.length,
    virtualSeconds: Math.round(clock.now() / 1000),
    timers: steps,
  });
}
