// Hand-written semantic mutants: broken versions of core's pieces, injected
// through the simulator's seams (`guard`, `scheduler`). Each must be caught by
// an invariant on at least one scenario (test/mutants.test.ts and the
// regression scenarios under sim/scenarios/regressions/ that name them).
import { CapacityGuard, DrainScheduler, type AdmissionRequest, type DrainSchedulerOptions, type GuardFleetView, type DrainSchedulerEvent, type PoolBudget } from "@drainkit/core";
import type { GuardPort, SchedulerPort, SimulationOptions } from "../src/Simulation.ts";

/** Member count of each pool in a guard's fleet view. */
function poolSizes(fleet: GuardFleetView): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const m of fleet.nodes) for (const p of m.pools) sizes.set(p, (sizes.get(p) ?? 0) + 1);
  return sizes;
}

/**
 * Off-by-one in budget rounding: the guard lets one member more go than the
 * budget allows (`maxUnavailable` resolved one too high, `minAvailable` one
 * too low), as a `Math.ceil` where a `Math.floor` belongs would on most sizes.
 */
export const budgetOffByOne = (pools: readonly PoolBudget[]): GuardPort => ({
  admit: (fleet, request) => {
    const sizes = poolSizes(fleet);
    const mutated = pools.map((p): PoolBudget => {
      const size = sizes.get(p.name) ?? 0;
      const count = (v: number | string, up: boolean): number => (typeof v === "number" ? v : up ? Math.ceil((Number(v.slice(0, -1)) * size) / 100) : Math.floor((Number(v.slice(0, -1)) * size) / 100));
      return {
        ...p,
        ...(p.maxUnavailable === undefined ? {} : { maxUnavailable: count(p.maxUnavailable, false) + 1 }),
        ...(p.minAvailable === undefined ? {} : { minAvailable: Math.max(0, count(p.minAvailable, true) - 1) }),
      };
    });
    return new CapacityGuard({ pools: mutated }).admit(fleet, request);
  },
});

/**
 * "At least one may go" applied to every percent budget: `maxUnavailable: "0%"`
 * and one-member pools (where the rule does not apply) let one member go, as a
 * guard that drops the `p > 0 && size >= 2` condition would.
 */
export const atLeastOneAway = (pools: readonly PoolBudget[]): GuardPort => ({
  admit: (fleet, request) => {
    const sizes = poolSizes(fleet);
    const mutated = pools.map((p): PoolBudget => {
      const max = p.maxUnavailable;
      if (typeof max !== "string") return p;
      const away = Math.floor((Number(max.slice(0, -1)) * (sizes.get(p.name) ?? 0)) / 100);
      return { ...p, maxUnavailable: Math.max(1, away) };
    });
    return new CapacityGuard({ pools: mutated }).admit(fleet, request);
  },
});

/** A guard that judges a node by its first pool only (the hole multi-pool nodes fell through). */
export const firstPoolOnly = (pools: readonly PoolBudget[]): GuardPort => {
  const real = new CapacityGuard({ pools });
  return { admit: (fleet, request) => real.admit({ nodes: [...fleet.nodes].map((m) => ({ ...m, pools: m.pools.slice(0, 1) })) }, request) };
};

/** The forced flag ignored: an admin's forced drain is judged like any other, and refused. */
export const forceIgnored = (pools: readonly PoolBudget[]): GuardPort => {
  const real = new CapacityGuard({ pools });
  return {
    admit: (fleet, request) => {
      const { force: _force, ...plain }: AdmissionRequest = request;
      return real.admit(fleet, plain);
    },
  };
};

/** Every request treated as forced: whatever the budget says, the drain goes through (reported as forced). */
export const forceAssumed = (pools: readonly PoolBudget[]): GuardPort => {
  const real = new CapacityGuard({ pools });
  return { admit: (fleet, request) => real.admit(fleet, { ...request, force: { reason: "mutant: every request forced" } }) };
};

/** Completion with work remaining: the drain is reported complete the moment it starts. */
export const completionEarly = (options: DrainSchedulerOptions): SchedulerPort => {
  const sink = options.events!;
  return new DrainScheduler({
    ...options,
    events: {
      emit: (e: DrainSchedulerEvent) => {
        sink.emit(e);
        if (e.type === "fleet-drain-started") sink.emit({ type: "fleet-drain-completed", target: e.record.target, epoch: e.record.epoch });
      },
    },
  });
};

/** A stale epoch accepted: a progress report of an earlier drain counts for the current one. */
export const staleEpochAccepted = (options: DrainSchedulerOptions): SchedulerPort => {
  const real = new DrainScheduler(options);
  const latest = new Map<string, number>();
  for (const r of options.records ?? []) latest.set(r.target, r.epoch);
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "startDrain") {
        return (req: Parameters<DrainScheduler["startDrain"]>[0]) => {
          latest.set(req.target, req.epoch ?? 0);
          return target.startDrain(req);
        };
      }
      if (prop === "reportProgress") {
        return (report: Parameters<DrainScheduler["reportProgress"]>[0]) => target.reportProgress({ ...report, epoch: latest.get(report.target) ?? report.epoch });
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
};

/** The catalogue, by the names regression scenarios use in `expect.mutant`. */
export const mutants: Readonly<Record<string, Pick<SimulationOptions, "guard" | "scheduler" | "rebuildOnFailover">>> = {
  "budget-off-by-one": { guard: budgetOffByOne },
  "first-pool-only": { guard: firstPoolOnly },
  "at-least-one-away": { guard: atLeastOneAway },
  "force-ignored": { guard: forceIgnored },
  "force-assumed": { guard: forceAssumed },
  "completion-early": { scheduler: completionEarly },
  "stale-epoch-accepted": { scheduler: staleEpochAccepted },
  /** A controller that does not rebuild on failover: the deposed leader's rollout carries on in memory. */
  "no-rebuild-on-failover": { rebuildOnFailover: false },
};
