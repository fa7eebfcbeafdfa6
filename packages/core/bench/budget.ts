// Capacity guard decisions per second: a store runs admit() inside every drain
// or cordon transaction. Baseline: one plain pass over the same members.
import { figure, opsPerSecond } from "@drainkit/bench";
import { admit, CapacityGuard, PoolCounts, type PoolMember } from "../src/index.ts";

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

// One admission into a 1,000-member pool of a 100-pool fleet, with the per-pool counts the view's
// holder keeps (PoolCounts) beside the same admission counting the pool's members (the baseline).
const poolOf = (k: number): string => `q${k % 100}`;
const wide: PoolMember[] = Array.from({ length: 100_000 }, (_, k) => ({ id: `m${k}`, pools: [poolOf(k)], roles: { edge: k % 50 === 0 ? "draining" : "active" }, phase: "active" }));
const members1000 = new Map<string, PoolMember[]>();
for (const m of wide) {
  const list = members1000.get(m.pools[0]!) ?? [];
  list.push(m);
  members1000.set(m.pools[0]!, list);
}
const widePools = Array.from({ length: 100 }, (_, k) => ({ name: `q${k}`, role: "edge", maxUnavailable: "10%" as const }));
const wideGuard = new CapacityGuard({ pools: widePools });
const counts = new PoolCounts(widePools);
for (const m of wide) counts.set(m);
const counting = opsPerSecond(() => {
  const k = i++ % 100_000;
  sink += wideGuard.admit({ nodes: members1000.get(poolOf(k))! }, { kind: "drain", node: `m${k}` }).pools.length;
}, 300);
figure("core.budget.guard_pool_1000_counts", opsPerSecond(() => {
  const k = i++ % 100_000;
  sink += wideGuard.admit({ nodes: members1000.get(poolOf(k))!, counts }, { kind: "drain", node: `m${k}` }).pools.length;
}, 300), "ops/s", { baseline: counting, baselineName: "the same admissions counting the pool's 1,000 members", poolSize: 1000, pools: 100 });
if (sink < 0) console.log(sink);
