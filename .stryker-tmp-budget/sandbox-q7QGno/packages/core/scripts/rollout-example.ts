// @ts-nocheck
// A rolling upgrade of a small in-memory fleet, on virtual time: the
// DrainScheduler moves workloads off each node, the RolloutController drives
// the waves through the capacity guard. Run: `npx -y pnpm@10.34.9 --filter @drainkit/core run rollout-example`.
import { DrainScheduler, RolloutController, sleep, type FleetNode, type RolloutHooks, type Workload } from "@drainkit/core";
import { flushMicrotasks, SimulatedClock } from "@drainkit/core/testing";

const clock = new SimulatedClock({ start: Date.UTC(2026, 0, 1) });
const nodes = new Map<string, FleetNode>(
  ["web-1", "web-2", "web-3", "web-4", "db-1", "db-2"].map((id) => [id, { id, pools: [id.split("-")[0]!], phase: "active", version: "1.0.0" }]),
);
const workloads: Workload[] = [...nodes.keys()].flatMap((id, i) => [
  { id: `feed-${i}`, node: id },
  { id: `feed-${i}/a`, node: id, owner: `feed-${i}` },
  { id: `feed-${i}/b`, node: id, owner: `feed-${i}` },
]);
const scheduler = new DrainScheduler({ clock, fleet: { nodes: [...nodes.values()], workloads }, batchSize: 2, maxDrainsPerScope: 10, awaitIdleReport: false });
const set = (id: string, change: Partial<FleetNode>): void => void nodes.set(id, { ...nodes.get(id)!, ...change });

const hooks: RolloutHooks = {
  cordon: (id) => {
    scheduler.setSchedulable(id, false);
    set(id, { phase: "cordoned", schedulable: false });
  },
  drain: async (id, epoch, deadline) => {
    scheduler.startDrain({ target: id, epoch, deadline });
    set(id, { phase: "draining" });
    for (;;) {
      const moves = scheduler.tick();
      const status = scheduler.status(id)!;
      if (status.status === "drained") set(id, { phase: "drained" });
      if (status.status !== "draining") return { status: status.status, failure: status.reason ?? "" };
      await sleep(clock, 50); // start each workload on its destination...
      for (const m of moves) scheduler.moveCommitted(m); // ...then hand ownership over
    }
  },
  upgrade: async (id) => {
    await sleep(clock, 2_000); // restart on the new version
    set(id, { version: "2.0.0" });
  },
  resume: (id) => {
    scheduler.resumeNode(id);
    set(id, { phase: "active", schedulable: true });
  },
  // Judged by assessUpgrade: counted once it reports 2.0.0 and stays healthy for minHealthyMs.
  observe: (id) => ({ version: nodes.get(id)!.version, live: true, phase: nodes.get(id)!.phase, reportedAt: clock.now() }),
};

const rollout = new RolloutController({
  clock,
  pools: [{ name: "web", maxUnavailable: "50%" }, { name: "db", minAvailable: 1 }],
  fleet: () => ({ nodes: [...nodes.values()], workloads: scheduler.placement() }),
  hooks,
  maxParallel: 3,
  events: {
    emit: (e) => {
      const t = `+${((clock.now() - Date.UTC(2026, 0, 1)) / 1000).toFixed(2)}s`.padStart(8);
      if (e.type === "rollout-wave-started") console.log(`${t}  wave ${e.wave}: ${e.nodes.join(", ")}`);
      if (e.type === "rollout-node") console.log(`${t}    ${e.node.padEnd(6)} ${e.phase}${e.epoch === undefined ? "" : ` (epoch ${e.epoch})`}`);
      if (e.type === "rollout-progress") console.log(`${t}  progress: ${e.progress.done}/${e.progress.total} done, eta ${e.progress.etaMs ?? "?"} ms`);
    },
  },
});

const plan = await rollout.dryRun({ version: "2.0.0" });
console.log(`plan: ${plan.waves.map((w) => `[${w.nodes.join(" ")}]`).join(" ")}; blocked: ${plan.blocked.length}`);
let result: Awaited<ReturnType<RolloutController["start"]>> | undefined;
void rollout.start({ version: "2.0.0" }).then((r) => (result = r));
// Virtual time: fire the next timer whenever the rollout is waiting on one.
while (result === undefined) {
  await flushMicrotasks();
  if (result === undefined && !clock.step()) throw new Error("rollout stalled");
}
console.log(`${result.status}: upgraded ${result.upgraded.length}, failed ${result.failed.length}`);
console.log(`workloads: ${scheduler.placement().length} of ${workloads.length}, versions: ${[...new Set([...nodes.values()].map((n) => n.version))].join(",")}`);
process.exitCode = result.status === "completed" && scheduler.placement().length === workloads.length ? 0 : 1;
