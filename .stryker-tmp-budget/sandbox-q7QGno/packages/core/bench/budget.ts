// @ts-nocheck
// Capacity guard decisions per second: a store runs admit() inside every drain
// or cordon transaction. Baseline: one plain pass over the same members.
import { figure, opsPerSecond } from "@drainkit/bench";
import { admit, CapacityGuard, type PoolMember } from "../src/index.ts";

const members: PoolMember[] = Array.from({ length: 100 }, (_, i) => ({ id: `n${i}`, pools: ["web"], phase: i % 10 === 0 ? "draining" : "active" }));
const fleet = { nodes: members };
const pool = { name: "web", maxUnavailable: "20%" } as const;
let i = 0;
let sink = 0;
const baseline = opsPerSecond(() => {
  for (const m of members) if (m.phase === "active") sink++;
});
figure("core.budget.admit_pool_100", opsPerSecond(() => {
  sink += admit(pool, fleet, { kind: "drain", node: `n${i++ % 100}` }).pools.length;
}), "ops/s", { baseline });

const big: PoolMember[] = Array.from({ length: 10_000 }, (_, k) => ({ id: `n${k}`, pools: [`p${k % 100}`], phase: "active" }));
const guard = new CapacityGuard({ pools: Array.from({ length: 100 }, (_, k) => ({ name: `p${k}`, minAvailable: "90%" })) });
figure("core.budget.guard_fleet_10000", opsPerSecond(() => {
  sink += guard.admit({ nodes: big }, { kind: "drain", node: `n${i++ % 10_000}` }).pools.length;
}, 300), "ops/s", { nodes: 10_000, pools: 100 });
if (sink < 0) console.log(sink);
