// @ts-nocheck
import type { BudgetValue } from "@drainkit/core";

/**
 * A pool as stored and served (`GET /control/pools/{name}`): its budget for
 * all members, and per role. The capacity guard, the drain scheduler and the
 * rollout planner of every replica read these, never a replica's flags.
 */

/** The three bounds of a budget; each a member count (`2`) or a percent (`"25%"`). */
export interface PoolBounds {
  readonly minAvailable?: BudgetValue;
  readonly maxUnavailable?: BudgetValue;
  readonly minSchedulable?: BudgetValue;
}

/** What `PUT /control/pools/{name}` sends: the pool-wide bounds and, optionally, bounds per role. */
export interface PoolInput extends PoolBounds {
  /** Bounds for the members' phase in one role (`roles.edge.maxUnavailable`). */
  readonly roles?: Readonly<Record<string, PoolBounds>>;
}

/**
 * A declared pool. `version` is its ETag's number: send it in `If-Match` to
 * change or delete it.
 *
 * @example
 * const web: Pool = { name: "web", maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } }, version: 3 };
 */
export interface Pool extends PoolBounds {
  readonly name: string;
  readonly roles: Readonly<Record<string, PoolBounds>>;
  readonly version: number;
}
