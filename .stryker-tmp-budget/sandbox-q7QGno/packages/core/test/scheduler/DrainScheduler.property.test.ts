// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  CapacityGuard,
  DrainScheduler,
  isDrainkitError,
  resolveBudget,
  type FleetNode,
  type PlannedMove,
  type PoolBudget,
  type Workload,
} from "../../src/index.ts";
import { fcParams, flushMicrotasks, SimulatedClock } from "../../src/testing/index.ts";

const budgetArb = fc.oneof(
  fc.record({ minAvailable: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)) }),
  fc.record({ maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)) }),
);

const scenarioArb = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    nodePool: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
    nodeScope: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
    pools: fc.tuple(budgetArb, budgetArb),
    owners: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 25 }),
    children: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: n - 1 })), { maxLength: 40 }),
    drains: fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 5 }),
    crashes: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
    moveFails: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
    batchSize: fc.integer({ min: 1, max: 5 }),
    maxDrainsPerScope: fc.integer({ min: 1, max: 2 }),
    balance: fc.boolean(),
    pauseBalance: fc.boolean(),
    rebuild: fc.boolean(),
  }),
);

describe("DrainScheduler properties (random fleets, concurrent drains, fc.scheduler interleavings)", () => {
  it("loses and duplicates nothing, keeps pools within budget, respects batch size, priority, epochs and rebuilds", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.scheduler(), async (sc, s) => {
        const clock = new SimulatedClock({ start: 0 });
        const ids = Array.from({ length: sc.n }, (_, i) => `n${i}`);
        const up = new Map(ids.map((id) => [id, true]));
        const fleetNodes = (): FleetNode[] =>
          ids.map((id, i) => ({ id, pools: [`p${sc.nodePool[i]}`], phase: "active", healthy: up.get(id)!, scope: `z${sc.nodeScope[i]}` }));
        const workloads: Workload[] = sc.owners.map((at, i) => ({ id: `o${i}`, node: `n${at}` }));
        if (workloads.length > 0) {
          sc.children.forEach(([owner, at], i) => workloads.push({ id: `c${i}`, node: `n${at}`, owner: `o${owner % sc.owners.length}` }));
        }
        const allIds = workloads.map((w) => w.id).sort();
        const pools: PoolBudget[] = sc.pools.map((b, i) => ({ name: `p${i}`, ...b }));
        const guard = new CapacityGuard({ pools });
        const settings = {
          clock,
          batchSize: sc.batchSize,
          maxDrainsPerScope: sc.maxDrainsPerScope,
          balance: { enabled: sc.balance, pauseWhileDraining: sc.pauseBalance },
        };
        let incarnation = 0;
        let sched = new DrainScheduler({ ...settings, fleet: { nodes: fleetNodes(), workloads } });
        const live = new Map<string, PlannedMove>();
        const started = new Set<string>();
        let failIdx = 0;

        const drainedOrDraining = (id: string): boolean => sched.status(id) !== undefined;
        const check = (): void => {
          const placement = sched.placement();
          expect(placement.map((w) => w.id).sort()).toEqual(allIds);
          for (const id of ids) {
            const { owners, children } = sched.loadOf(id);
            expect(owners + children).toBe(placement.filter((w) => w.node === id).length);
            const offTarget = [...live.values()].filter((m) => m.drain?.target === id).length;
            expect(offTarget).toBeLessThanOrEqual(sc.batchSize);
            const st = sched.status(id);
            if (st?.status === "drained") expect(st.remaining).toEqual({ owners: 0, children: 0, movesInFlight: 0, inFlight: 0 });
          }
          for (const pool of pools) {
            const members = ids.filter((_, i) => `p${sc.nodePool[i]}` === pool.name);
            const required = resolveBudget(pool, members.length).required;
            const available = members.filter((id) => !drainedOrDraining(id)).length;
            expect(available).toBeGreaterThanOrEqual(Math.min(required, members.length));
          }
        };

        const reportIdle = (target: string, epoch: number): void => {
          void s.schedule(Promise.resolve(`report ${target}#${epoch} busy`)).then(() => {
            sched.reportProgress({ target, epoch, inFlight: 2 });
            expect(sched.reportProgress({ target, epoch: epoch - 1, inFlight: 0 })).toBe("stale");
            void s.schedule(Promise.resolve(`report ${target}#${epoch} idle`)).then(() => {
              sched.reportProgress({ target, epoch, inFlight: 0 });
            });
          });
        };

        const pump = (): void => {
          const moves = sched.tick();
          for (const m of moves) {
            expect(up.get(m.to)).toBe(true);
            expect(sched.isSchedulable(m.to)).toBe(true);
            expect(m.to).not.toBe(m.from);
            // Never to another pool's node.
            expect(sc.nodePool[ids.indexOf(m.to)]).toBe(sc.nodePool[ids.indexOf(m.from)]);
            if (m.drain !== undefined) {
              if (m.tier === "child") expect(sched.loadOf(m.drain.target).owners).toBe(0);
            } else {
              if (sc.pauseBalance) expect(sched.activeDrains).toBe(0);
              expect(sched.status(m.from)).toBeUndefined();
              expect(sched.status(m.to)).toBeUndefined();
            }
            live.set(m.id, m);
            // Failures are finite (each listed outcome is used once), so every run terminates.
            const fails = sc.moveFails[failIdx++] ?? false;
            const mine = incarnation;
            void s.schedule(Promise.resolve(`${fails ? "fail" : "commit"} ${m.id} ${m.workload} ${m.from}->${m.to}`)).then(() => {
              if (mine !== incarnation) {
                // A late report from before the rebuild: ignored; the host stops the copy it started.
                expect(sched.moveCommitted(m)).toBe(false);
                return;
              }
              if (!live.has(m.id)) return; // already failed by a crash
              live.delete(m.id);
              expect(fails ? sched.moveFailed(m) : sched.moveCommitted(m)).toBe(true);
            });
          }
          check();
        };

        for (const t of sc.drains) {
          const target = `n${t}`;
          void s.schedule(Promise.resolve(`drain ${target}`)).then(() => {
            const view = { nodes: fleetNodes().map((n) => ({ ...n, healthy: true, phase: drainedOrDraining(n.id) ? "draining" : "active" })) };
            if (guard.admit(view, { kind: "drain", node: target }).outcome !== "allowed") return;
            try {
              const r = sched.startDrain({ target, deadline: 1_000_000 });
              if (r.outcome === "started") {
                started.add(target);
                reportIdle(target, r.record.epoch);
              }
            } catch (e) {
              if (!isDrainkitError(e) || !["drain-limit-reached", "last-schedulable-node"].includes(e.code)) throw e;
            }
          });
        }
        for (const c of sc.crashes) {
          void s.schedule(Promise.resolve(`crash n${c}`)).then(() => {
            up.set(`n${c}`, false);
            for (const m of sched.nodeCrashed(`n${c}`)) live.delete(m.id);
          });
        }
        if (sc.rebuild) {
          void s.schedule(Promise.resolve("rebuild from records")).then(() => {
            const records = sched.records();
            incarnation++;
            live.clear();
            sched = new DrainScheduler({ ...settings, fleet: { nodes: fleetNodes(), workloads: sched.placement() }, records, movePrefix: `r${incarnation}:` });
            for (const r of records) reportIdle(r.target, r.epoch);
          });
        }

        pump();
        let steps = 0;
        while (s.count() > 0) {
          if (++steps > 20_000) throw new Error("livelock: the scheduler keeps planning moves");
          await s.waitOne();
          await flushMicrotasks();
          pump();
        }
        clock.advance(1_000_001);
        pump();
        // Workloads only go to a node sharing a pool with the one they leave.
        const poolOf = (id: string): number => sc.nodePool[ids.indexOf(id)]!;
        const anySpare = (target: string): boolean => ids.some((id) => id !== target && up.get(id) && sched.status(id) === undefined && poolOf(id) === poolOf(target));
        for (const target of started) {
          const st = sched.status(target)!;
          expect(st.status).not.toBe("draining");
          if (anySpare(target)) expect(st.status).toBe("drained");
        }
      }),
      fcParams({ numRuns: 300 }),
    );
  });
});
