import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { admit, CapacityGuard, PoolDepletionError, resolveBudget, type PoolBudget, type PoolMember } from "../../src/index.ts";
import { fcParams, MemoryMetrics } from "../../src/testing/index.ts";

const member = (id: string, phase: PoolMember["phase"] = "active", extra: Partial<PoolMember> = {}): PoolMember => ({
  id,
  pools: ["web"],
  phase,
  ...extra,
});
const fleetOf = (...nodes: PoolMember[]) => ({ nodes });
const actives = (n: number) => fleetOf(...Array.from({ length: n }, (_, i) => member(`n${i}`)));

describe("resolveBudget: percent rounding is conservative", () => {
  it("minAvailable percent rounds the required count up", () => {
    expect(resolveBudget({ name: "p", minAvailable: "50%" }, 3).required).toBe(2);
    expect(resolveBudget({ name: "p", minAvailable: "34%" }, 3).required).toBe(2);
    expect(resolveBudget({ name: "p", minAvailable: "1%" }, 10).required).toBe(1);
    expect(resolveBudget({ name: "p", minAvailable: "0%" }, 10).required).toBe(0);
    expect(resolveBudget({ name: "p", minAvailable: "100%" }, 7).required).toBe(7);
  });

  it("maxUnavailable percent rounds the allowance down, at least 1 for a pool of 2+", () => {
    expect(resolveBudget({ name: "p", maxUnavailable: "50%" }, 3).required).toBe(2);
    expect(resolveBudget({ name: "p", maxUnavailable: "25%" }, 10).required).toBe(8);
    expect(resolveBudget({ name: "p", maxUnavailable: "10%" }, 5).required).toBe(4);
    expect(resolveBudget({ name: "p", maxUnavailable: "0%" }, 5).required).toBe(5);
    expect(resolveBudget({ name: "p", maxUnavailable: "50%" }, 1).required).toBe(1);
    expect(resolveBudget({ name: "p", maxUnavailable: "100%" }, 1).required).toBe(0);
  });

  it("the stricter bound wins when both are set", () => {
    expect(resolveBudget({ name: "p", minAvailable: 2, maxUnavailable: 1 }, 10).required).toBe(9);
    expect(resolveBudget({ name: "p", minAvailable: 9, maxUnavailable: 5 }, 10).required).toBe(9);
  });

  it("rejects malformed budgets", () => {
    expect(() => resolveBudget({ name: "p", minAvailable: "150%" }, 3)).toThrow(RangeError);
    expect(() => resolveBudget({ name: "p", maxUnavailable: -1 }, 3)).toThrow(RangeError);
    expect(() => resolveBudget({ name: "p", minAvailable: 1.5 }, 3)).toThrow(RangeError);
  });

  it("percent rounding never asks for less than the exact share (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 500 }), (p, total) => {
        const min = resolveBudget({ name: "p", minAvailable: `${p}%` }, total).required;
        expect(min).toBeGreaterThanOrEqual((p * total) / 100);
        expect(min).toBeLessThan((p * total) / 100 + 1);
        const fromMax = resolveBudget({ name: "p", maxUnavailable: `${p}%` }, total).required;
        const allowed = total - fromMax;
        if (total >= 2 && p > 0) expect(allowed).toBeGreaterThanOrEqual(1);
        else expect(allowed).toBeLessThanOrEqual((p * total) / 100);
        expect(allowed).toBeLessThanOrEqual(Math.max(1, (p * total) / 100));
      }), fcParams(),
    );
  });
});

describe("admit: boundaries", () => {
  it("a pool of 1 with minAvailable 1 refuses the drain with the numbers", () => {
    const d = admit({ name: "web", minAvailable: 1 }, actives(1), { kind: "drain", node: "n0" });
    expect(d.outcome).toBe("refused");
    if (d.outcome !== "refused") return;
    expect(d.error).toBeInstanceOf(PoolDepletionError);
    expect(d.error.code).toBe("pool-depletion");
    expect(d.error.retryable).toBe(true);
    expect(d.error.details).toMatchObject({ pool: "web", available: 1, required: 1, drainsInFlight: 0, availableAfter: 0 });
    expect(d.error.message).toMatch(/wait for in-flight drains/i);
  });

  it("a pool of 1 with no budget, or maxUnavailable 1, may drain its node", () => {
    expect(admit({ name: "web" }, actives(1), { kind: "drain", node: "n0" }).outcome).toBe("allowed");
    expect(admit({ name: "web", maxUnavailable: 1 }, actives(1), { kind: "drain", node: "n0" }).outcome).toBe("allowed");
  });

  it("minAvailable equal to the pool size refuses every drain but allows a cordon", () => {
    const pool: PoolBudget = { name: "web", minAvailable: 4 };
    expect(admit(pool, actives(4), { kind: "drain", node: "n2" }).outcome).toBe("refused");
    expect(admit(pool, actives(4), { kind: "cordon", node: "n2" }).outcome).toBe("allowed");
    expect(admit({ name: "web", minAvailable: "100%" }, actives(4), { kind: "drain", node: "n2" }).outcome).toBe("refused");
  });

  it("maxUnavailable 0 refuses every drain", () => {
    const d = admit({ name: "web", maxUnavailable: 0 }, actives(5), { kind: "drain", node: "n0" });
    expect(d.outcome).toBe("refused");
    if (d.outcome === "refused") expect(d.error.details).toMatchObject({ available: 5, required: 5 });
  });

  it("counts drains in flight and unhealthy members against the budget", () => {
    const pool: PoolBudget = { name: "web", maxUnavailable: 1 };
    const fleet = fleetOf(member("a"), member("b", "draining"), member("c"));
    const d = admit(pool, fleet, { kind: "drain", node: "a" });
    expect(d.outcome).toBe("refused");
    if (d.outcome === "refused") expect(d.error.details).toMatchObject({ available: 2, required: 2, drainsInFlight: 1 });
    const down = fleetOf(member("a"), member("b", "active", { healthy: false }), member("c"));
    expect(admit(pool, down, { kind: "drain", node: "a" }).outcome).toBe("refused");
  });

  it("a cordoned member is available: cordons never cost availability", () => {
    const pool: PoolBudget = { name: "web", minAvailable: 3 };
    const fleet = fleetOf(member("a", "cordoned"), member("b", "cordoned"), member("c"));
    expect(admit(pool, fleet, { kind: "cordon", node: "c" }).outcome).toBe("allowed");
    expect(admit(pool, fleet, { kind: "drain", node: "a" }).outcome).toBe("refused");
  });

  it("minSchedulable is the one bound that refuses a cordon", () => {
    const pool: PoolBudget = { name: "web", minSchedulable: 1 };
    const fleet = fleetOf(member("a", "cordoned"), member("b"));
    const d = admit(pool, fleet, { kind: "cordon", node: "b" });
    expect(d.outcome).toBe("refused");
    if (d.outcome === "refused") expect(d.error.details).toMatchObject({ bound: "schedulable", available: 1, required: 1 });
  });

  it("a wave is admitted as a whole", () => {
    const pool: PoolBudget = { name: "web", maxUnavailable: 2 };
    expect(admit(pool, actives(5), { kind: "drain", node: ["n0", "n1"] }).outcome).toBe("allowed");
    expect(admit(pool, actives(5), { kind: "drain", node: ["n0", "n1", "n2"] }).outcome).toBe("refused");
  });

  it("re-draining a node that is already unavailable is allowed even when the pool is short", () => {
    const pool: PoolBudget = { name: "web", minAvailable: 3 };
    const fleet = fleetOf(member("a", "draining"), member("b", "failed"), member("c"));
    expect(admit(pool, fleet, { kind: "drain", node: "a" }).outcome).toBe("allowed");
    expect(admit(pool, fleet, { kind: "drain", node: "b" }).outcome).toBe("allowed");
  });

  it("reads the phase of the pool's role when the node runs several", () => {
    const pool: PoolBudget = { name: "web", role: "edge", minAvailable: 1 };
    const fleet = fleetOf(member("a", "active", { roles: { edge: "drained", ingest: "active" } }), member("b"));
    expect(admit(pool, fleet, { kind: "drain", node: "b" }).outcome).toBe("refused");
  });

  it("queues instead of refusing when asked, and forces with a reason", () => {
    const pool: PoolBudget = { name: "web", maxUnavailable: 0 };
    expect(admit(pool, actives(2), { kind: "drain", node: "n0", queue: true }).outcome).toBe("queued");
    const forced = admit(pool, actives(2), { kind: "drain", node: "n0", force: { reason: "kernel CVE" } });
    expect(forced).toMatchObject({ outcome: "allowed", forced: true, reason: "kernel CVE" });
    expect(admit(pool, actives(2), { kind: "drain", node: "n0", force: { reason: " " } }).outcome).toBe("refused");
  });

  it("ignores nodes outside the pool", () => {
    const fleet = fleetOf(member("a"), { id: "x", pools: ["db"], phase: "active" });
    expect(admit({ name: "web", minAvailable: 1 }, fleet, { kind: "drain", node: "x" }).outcome).toBe("allowed");
  });
});

describe("CapacityGuard", () => {
  it("checks every pool the node belongs to and counts forced breaches", () => {
    const metrics = new MemoryMetrics();
    const guard = new CapacityGuard({ pools: [{ name: "web", maxUnavailable: 1 }, { name: "db", minAvailable: 2 }], metrics });
    const fleet = fleetOf(
      { id: "a", pools: ["web", "db"], phase: "active" },
      { id: "b", pools: ["web", "db"], phase: "active" },
      { id: "c", pools: ["web"], phase: "active" },
    );
    const d = guard.admit(fleet, { kind: "drain", node: "a" });
    expect(d.outcome).toBe("refused");
    if (d.outcome === "refused") expect(d.error.details.pool).toBe("db");
    expect(guard.admit(fleet, { kind: "drain", node: "c" }).outcome).toBe("allowed");
    guard.admit(fleet, { kind: "drain", node: "a", force: { reason: "disk failing" } });
    expect(metrics.value("pool_forced_breaches_total", { pool: "db" })).toBe(1);
  });

  it("never lets availability fall below the requirement across random sequences (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)),
        fc.array(fc.tuple(fc.constantFrom("drain", "cordon") , fc.nat()), { maxLength: 30 }),
        (size, min, requests) => {
          const pool: PoolBudget = { name: "web", minAvailable: min };
          const nodes = Array.from({ length: size }, (_, i) => member(`n${i}`));
          const fleet = { nodes };
          const required = resolveBudget(pool, size).required;
          for (const [kind, pick] of requests) {
            const i = pick % size;
            const before = nodes.filter((n) => n.phase === "active" || n.phase === "cordoned").length;
            const d = admit(pool, fleet, { kind, node: `n${i}` });
            if (d.outcome === "allowed" && nodes[i]!.phase !== "draining") {
              nodes[i] = member(`n${i}`, kind === "drain" ? "draining" : "cordoned");
            }
            const after = nodes.filter((n) => n.phase === "active" || n.phase === "cordoned").length;
            // Either the pool stays within budget, or the request did not make it worse.
            expect(after >= required || after >= before).toBe(true);
          }
        },
      ), fcParams(),
    );
  });
});

describe("admit over random fleets with roles (property)", () => {
  const phaseArb = fc.constantFrom("active", "cordoned", "draining", "drained", "failed", "partially-drained");
  it("refuses exactly when a drain would take the pool's role below its requirement", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ pools: fc.subarray(["web", "db"]), edge: phaseArb, ingest: phaseArb, phase: phaseArb, healthy: fc.boolean() }),
          { minLength: 1, maxLength: 15 },
        ),
        fc.oneof(fc.record({ minAvailable: fc.integer({ min: 0, max: 10 }) }), fc.record({ maxUnavailable: fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const) })),
        fc.nat(),
        (specs, budget, pick) => {
          const nodes: PoolMember[] = specs.map((s, i) => ({
            id: `n${i}`,
            pools: s.pools,
            phase: s.phase,
            roles: { edge: s.edge, ingest: s.ingest },
            healthy: s.healthy,
          }));
          const pool: PoolBudget = { name: "web", role: "edge", ...budget };
          const target = nodes[pick % nodes.length]!;
          const members = nodes.filter((n) => n.pools.includes("web"));
          const up = (n: PoolMember): boolean => n.healthy !== false && (n.roles!.edge === "active" || n.roles!.edge === "cordoned");
          const available = members.filter(up).length;
          const required = resolveBudget(pool, members.length).required;
          const costs = members.includes(target) && up(target);
          const d = admit(pool, { nodes }, { kind: "drain", node: target.id });
          expect(d.outcome === "refused").toBe(costs && available - 1 < required);
          if (d.outcome === "refused") expect(d.error.details).toMatchObject({ pool: "web", available, required });
          // A cordon never costs availability.
          expect(admit(pool, { nodes }, { kind: "cordon", node: target.id }).outcome).toBe("allowed");
        },
      ),
      fcParams({ numRuns: 500 }),
    );
  });
});

describe("the guard's pool numbers", () => {
  it("equal the counts by definition, for any phases, roles, health and request (property)", () => {
    const phase = fc.constantFrom("active", "cordoned", "draining", "drained", "failed", "partially-drained");
    const arb = fc.record({
      nodes: fc.array(
        fc.record({
          pools: fc.subarray(["web", "db", "other"]),
          phase,
          edge: fc.option(phase, { nil: undefined }),
          healthy: fc.option(fc.boolean(), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 25 },
      ),
      kind: fc.constantFrom("drain" as const, "cordon" as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      single: fc.boolean(),
      webRole: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ nodes: specs, kind, picks, single, webRole }) => {
        const nodes: PoolMember[] = specs.map((s, i) => ({
          id: `n${i}`,
          pools: s.pools,
          phase: s.phase,
          ...(s.edge === undefined ? {} : { roles: { edge: s.edge } }),
          ...(s.healthy === undefined ? {} : { healthy: s.healthy }),
        }));
        const targets = picks.map((p) => nodes[p % nodes.length]!.id);
        const request = { kind, node: single ? targets[0]! : targets };
        const named = new Set(single ? [targets[0]!] : targets);
        const pools: PoolBudget[] = [{ name: "web", minAvailable: "50%", ...(webRole ? { role: "edge" } : {}) }, { name: "db", maxUnavailable: 1 }];
        const d = new CapacityGuard({ pools: [...pools] }).admit({ nodes }, request);
        for (const numbers of d.pools) {
          const pool = pools.find((p) => p.name === numbers.pool)!;
          // By definition: the role's phase when the pool names a role and the node has one, else the node's.
          const phaseOf = (n: PoolMember): string => (pool.role !== undefined && n.roles?.[pool.role] !== undefined ? n.roles[pool.role]! : n.phase);
          const up = (n: PoolMember): boolean => n.healthy !== false && ["active", "cordoned"].includes(phaseOf(n));
          const open = (n: PoolMember): boolean => n.healthy !== false && phaseOf(n) === "active";
          const members = nodes.filter((n) => n.pools.includes(pool.name));
          expect(numbers).toMatchObject({
            total: members.length,
            drainsInFlight: members.filter((n) => phaseOf(n) === "draining").length,
            available: members.filter(up).length,
            availableAfter: members.filter((n) => up(n) && !(kind === "drain" && named.has(n.id))).length,
            schedulable: members.filter(open).length,
            schedulableAfter: members.filter((n) => open(n) && !named.has(n.id)).length,
          });
        }
        // Exactly the pools the named nodes belong to are judged.
        const judged = pools.filter((p) => nodes.some((n) => named.has(n.id) && n.pools.includes(p.name))).map((p) => p.name);
        expect(d.pools.map((p) => p.pool)).toEqual(judged);
        // Budgets given at decision time are judged in their own order.
        const given = [...pools].reverse();
        const again = new CapacityGuard({ pools }).admit({ nodes }, request, given);
        expect(again.pools.map((p) => p.pool)).toEqual(given.filter((p) => judged.includes(p.name)).map((p) => p.name));
      }),
      fcParams({ numRuns: 400 }),
    );
  });
});
