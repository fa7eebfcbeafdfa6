// @ts-nocheck
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry as PromRegistry, collectDefaultMetrics } from "prom-client";
import type { Counter, Gauge, Histogram, Labels, Metrics } from "@drainkit/core";

/** Metrics port backed by prom-client, plus the series the HTTP layer owns. */
export interface PromMetrics extends Metrics {
  /** The prom-client registry `/metrics` renders. */
  readonly registry: PromRegistry;
  /** `drainkit_http_request_duration_seconds{method,route,status}`. */
  readonly httpDuration: PromHistogram<"method" | "route" | "status">;
  /** `drainkit_mutations_total{action,outcome}`. */
  readonly mutations: PromCounter<"action" | "outcome">;
  /** `drainkit_drains_in_flight`. */
  readonly drainsInFlight: PromGauge;
  /** `drainkit_pool_available{pool}`: schedulable nodes per pool. */
  readonly poolAvailable: PromGauge<"pool">;
  /** `drainkit_audit_write_latency_seconds{outcome}`: attempt to audit entry committed. */
  readonly auditWriteLatency: PromHistogram<"outcome">;
  /**
   * `drainkit_audit_unwritten_total{cause}`: attempts that have no audit entry:
   * `store-failure` (the store failed, so the entry could not be written
   * either; each is logged) or `suppressed` (unauthenticated refusals past the
   * per-window limit, summed into one entry later).
   */
  readonly auditUnwritten: PromCounter<"cause">;
  /** `drainkit_rollout_nodes{step}`: nodes of the latest rollout per step (pending, draining, healthy, failed, …). */
  readonly rolloutNodes: PromGauge<"step">;
  /**
   * `drainkit_workload_moves_total{outcome}`: workload moves that ended, `done` or `failed`.
   * Fed by the leader's drain scheduler only: other replicas export it at 0.
   */
  readonly workloadMoves: PromCounter<"outcome">;
  /** `drainkit_workload_moves_in_flight`: moves `starting` or `serving` as the leader sees them (0 on other replicas). */
  readonly workloadMovesInFlight: PromGauge;
  /** `drainkit_workload_move_duration_seconds`: from a move being planned to its destination serving the workload (leader only). */
  readonly workloadMoveDuration: PromHistogram;
}

/**
 * Creates a prom-client registry and exposes it through core's Metrics port,
 * so the registry and controllers name series without importing prom-client.
 * Label names are learned from the first observation of each series.
 *
 * @example
 * const metrics = createPromMetrics();
 * metrics.counter("audit_writes", "Audit entries written").inc({ outcome: "ok" });
 * await metrics.registry.metrics(); // text exposition
 */
export function createPromMetrics(options: { defaultMetrics?: boolean } = {}): PromMetrics {
  const registry = new PromRegistry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "drainkit_" });
  const made = new Map<string, unknown>();
  const once = <T>(name: string, make: () => T): T => {
    if (!made.has(name)) made.set(name, make());
    return made.get(name) as T;
  };
  // prom-client fixes label names at construction; the port passes labels per
  // call, so each series is created lazily with the first call's label names.
  const lazy = <T>(name: string, make: (labelNames: string[]) => T) => (labels?: Labels): T =>
    once(name, () => make(Object.keys(labels ?? {}).sort()));

  const httpDuration = new PromHistogram({
    name: "drainkit_http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const mutations = new PromCounter({ name: "drainkit_mutations_total", help: "Mutations by action and outcome", labelNames: ["action", "outcome"] as const, registers: [registry] });
  const drainsInFlight = new PromGauge({ name: "drainkit_drains_in_flight", help: "Drains requested and not yet drained or failed", registers: [registry] });
  const poolAvailable = new PromGauge({ name: "drainkit_pool_available", help: "Schedulable nodes per pool", labelNames: ["pool"] as const, registers: [registry] });
  const rolloutNodes = new PromGauge({ name: "drainkit_rollout_nodes", help: "Nodes of the latest rolling upgrade per step", labelNames: ["step"] as const, registers: [registry] });
  const auditWriteLatency = new PromHistogram({
    name: "drainkit_audit_write_latency_seconds",
    help: "From a mutation attempt to its audit entry being committed",
    labelNames: ["outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  made.set("drainkit_mutations_total", mutations);
  const auditUnwritten = new PromCounter({ name: "drainkit_audit_unwritten_total", help: "Attempts left without an audit entry: store-failure (logged) or suppressed (unauthenticated refusals past the limit, summed into one entry)", labelNames: ["cause"] as const, registers: [registry] });
  for (const cause of ["store-failure", "suppressed"]) auditUnwritten.inc({ cause }, 0);
  // The registry counts suppressed refusals through the Metrics port under the same name.
  made.set("drainkit_audit_unwritten_total", auditUnwritten);
  const workloadMoves = new PromCounter({ name: "drainkit_workload_moves_total", help: "Workload moves that ended, by outcome (done, failed); fed by the leader only", labelNames: ["outcome"] as const, registers: [registry] });
  // Both outcomes are exported from the start, so a rate() over them has a series before the first move ends.
  for (const outcome of ["done", "failed"]) workloadMoves.inc({ outcome }, 0);
  const workloadMovesInFlight = new PromGauge({ name: "drainkit_workload_moves_in_flight", help: "Workload moves starting or serving, as the leader sees them (0 on other replicas)", registers: [registry] });
  const workloadMoveDuration = new PromHistogram({
    name: "drainkit_workload_move_duration_seconds",
    help: "From a workload move being planned to its destination serving the workload; observed by the leader",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });

  const clean = (l?: Labels): Record<string, string> => ({ ...(l ?? {}) });
  return {
    registry,
    httpDuration,
    mutations,
    drainsInFlight,
    poolAvailable,
    rolloutNodes,
    auditWriteLatency,
    auditUnwritten,
    workloadMoves,
    workloadMovesInFlight,
    workloadMoveDuration,
    counter(name, help): Counter {
      const get = lazy(`drainkit_${name}`, (labelNames) => new PromCounter({ name: `drainkit_${name}`, help, labelNames, registers: [registry] }));
      return { inc: (labels, value) => get(labels).inc(clean(labels), value ?? 1) };
    },
    gauge(name, help): Gauge {
      const get = lazy(`drainkit_${name}`, (labelNames) => new PromGauge({ name: `drainkit_${name}`, help, labelNames, registers: [registry] }));
      return {
        set: (value, labels) => get(labels).set(clean(labels), value),
        inc: (labels, value) => get(labels).inc(clean(labels), value ?? 1),
        dec: (labels, value) => get(labels).dec(clean(labels), value ?? 1),
      };
    },
    histogram(name, help, buckets): Histogram {
      const get = lazy(`drainkit_${name}`, (labelNames) =>
        new PromHistogram({ name: `drainkit_${name}`, help, labelNames, registers: [registry], ...(buckets ? { buckets: [...buckets] } : {}) }));
      return { observe: (value, labels) => get(labels).observe(clean(labels), value) };
    },
  };
}
