// Planning a rolling upgrade of 10,000 nodes in 100 pools (maxUnavailable 10%,
// maxParallel 500). Figures: one plan's wall time, and plans per second.
import { figure, opsPerSecond } from "@drainkit/bench";
import { planRollout, type FleetNode, type PoolBudget } from "../src/index.ts";

const nodes: FleetNode[] = Array.from({ length: 10_000 }, (_, i) => ({ id: `n${i}`, pools: [`p${i % 100}`], phase: "active", version: "1.0.0" }));
const pools: PoolBudget[] = Array.from({ length: 100 }, (_, i) => ({ name: `p${i}`, maxUnavailable: "10%" }));
const start = performance.now();
const plan = planRollout({ nodes }, { version: "2.0.0" }, { pools, maxParallel: 500 });
const ms = performance.now() - start;
figure("core.rollout.plan_10000_nodes", ms, "ms", { waves: plan.waves.length, blocked: plan.blocked.length });
figure("core.rollout.plans_per_second_10000_nodes", opsPerSecond(() => void planRollout({ nodes }, { version: "2.0.0" }, { pools, maxParallel: 500 }), 1_000), "plans/s");
const serial = performance.now();
const one = planRollout({ nodes }, { version: "2.0.0" }, { pools: [{ name: "p0", maxUnavailable: 1 }], maxParallel: 1 });
figure("core.rollout.plan_10000_nodes_one_per_wave", performance.now() - serial, "ms", { waves: one.waves.length });
