/**
 * What the planner reports about workload moves, as its change feed shows
 * them: every move active (`starting` or `serving`) when it started or
 * created since, whoever planned it. Only the leader runs a planner, so only
 * the leader feeds these; a planner that stops reports 0 in flight.
 *
 * @example
 * const metrics: WorkloadMoveMetrics = {
 *   inFlight: (n) => prom.workloadMovesInFlight.set(n),
 *   serving: (s) => prom.workloadMoveDuration.observe(s),
 *   ended: (outcome) => prom.workloadMoves.inc({ outcome }),
 * };
 */
export interface WorkloadMoveMetrics {
  /** Moves `starting` or `serving` now; called whenever that number may have changed. */
  inFlight(count: number): void;
  /** A move's destination serves the workload, `seconds` after the move was planned (the persisted timestamps). */
  serving(seconds: number): void;
  /** A move ended: `done` (the source stopped its copy), `failed`, or `cancelled` (its drain was cancelled before it committed). */
  ended(outcome: "done" | "failed" | "cancelled"): void;
}
