import type { RolePhase } from "../state/phase.ts";
import type { PoolDepletionError } from "./PoolDepletionError.ts";

/**
 * A budget value: a member count (`3`) or a percent of the pool's members
 * (`"25%"`). Percent values are resolved against the pool's current size, with
 * the conservative rounding documented on {@link resolveBudget}.
 */
export type BudgetValue = number | `${number}%`;

/**
 * A pool: the nodes that list `name` in their `pools`, serving one role.
 * At least one of `minAvailable` / `maxUnavailable` should be set; with neither
 * the pool never refuses (the guard still reports its numbers).
 *
 * @example
 * const web: PoolBudget = { name: "web", role: "edge", minAvailable: "75%" };
 * const db: PoolBudget = { name: "db", maxUnavailable: 1 };
 */
export interface PoolBudget {
  /** The pool id, matched against each node's `pools`. */
  readonly name: string;
  /**
   * The role this pool serves. When set, a member's availability is read from
   * its phase for that role (`roles[role]`), falling back to the node phase.
   */
  readonly role?: string;
  /** Members that must stay available; percent rounds the required count UP. */
  readonly minAvailable?: BudgetValue;
  /** Members that may be unavailable at once; percent rounds DOWN (at least 1 when > 0% and the pool has 2+ members). */
  readonly maxUnavailable?: BudgetValue;
  /**
   * Members that must stay schedulable (take new placements); percent rounds UP. Unset by default:
   * a cordon keeps a member available, so only this bound can refuse a cordon.
   */
  readonly minSchedulable?: BudgetValue;
}

/**
 * Phase of a member as the guard sees it: the role phases of the node/role
 * state machine. Any other phase string (a derived node phase such as
 * `"partially-drained"`, or `"down"`) counts as unavailable, so an unknown
 * state never inflates capacity.
 */
export type MemberPhase = RolePhase;

/** The slice of a fleet node the guard reads. */
export interface PoolMember {
  readonly id: string;
  /** Pool ids this node belongs to. */
  readonly pools: readonly string[];
  /** Node-level phase (used when the pool names no role or the node has no phase for it). */
  readonly phase: MemberPhase | (string & {});
  /** Phase per role, when the node runs several roles. */
  readonly roles?: Readonly<Record<string, MemberPhase | (string & {})>>;
  /** False when the node is down or failing health checks; unavailable whatever its phase. Default true. */
  readonly healthy?: boolean;
}

/** A pool's member counts by the guard's rule, before any request (see {@link GuardPoolCounts}). */
export interface PoolTally {
  /** Members of the pool. */
  readonly total: number;
  /** Healthy and `active` or `cordoned`. */
  readonly available: number;
  /** Healthy and `active`. */
  readonly schedulable: number;
  /** `draining`, healthy or not. */
  readonly drainsInFlight: number;
}

/**
 * Per-pool counts kept by the view's holder as members change (core's
 * `PoolCounts` keeps them), so the guard does not count whole pools per
 * admission. They must describe exactly the members of `nodes`.
 */
export interface GuardPoolCounts {
  /** The member with `id`, as `nodes` lists it. */
  member(id: string): PoolMember | undefined;
  /** The counts of `pool`, or undefined when they were not kept for that budget (the guard then counts `nodes`). */
  tally(pool: PoolBudget): PoolTally | undefined;
}

/** What the guard needs from a fleet view: its nodes (only pool members are read). */
export interface GuardFleetView {
  readonly nodes: Iterable<PoolMember>;
  /** Optional per-pool counts of the same members: when given, the guard reads them instead of passing over `nodes`. */
  readonly counts?: GuardPoolCounts;
}

/**
 * A request to take one node (or a whole wave) out of service.
 *
 * - `cordon` stops new placements; the node keeps serving, so it does not
 *   reduce availability (only `minSchedulable` can refuse it).
 * - `drain` makes the node unavailable; it must fit `minAvailable` and
 *   `maxUnavailable` (and `minSchedulable`).
 */
export interface AdmissionRequest {
  readonly kind: "cordon" | "drain";
  /** The node id, or every node of a wave admitted together. */
  readonly node: string | readonly string[];
  /** An admin override: the request is allowed even when it breaks the budget; the breach is reported (and counted by the guard). */
  readonly force?: { readonly reason: string };
  /** When the budget refuses, answer `queued` instead of `refused` (the caller waits and asks again). */
  readonly queue?: boolean;
}

/** The numbers behind a decision, for one pool. */
export interface PoolNumbers {
  readonly pool: string;
  /** Members of the pool. */
  readonly total: number;
  /** Members available now (healthy and active or cordoned). */
  readonly available: number;
  /** Members that would be available if the request went through. */
  readonly availableAfter: number;
  /** Members that must stay available: max(minAvailable, total - maxUnavailable). */
  readonly required: number;
  /** Members currently draining (drains in flight). */
  readonly drainsInFlight: number;
  /** Members schedulable now (healthy and active). */
  readonly schedulable: number;
  /** Members that would be schedulable if the request went through. */
  readonly schedulableAfter: number;
  /** Members that must stay schedulable (0 unless `minSchedulable` is set). */
  readonly requiredSchedulable: number;
}

/**
 * The guard's answer. `refused` and `queued` carry the error a caller throws or
 * returns (problem+json `pool-depletion`); `allowed` with `forced: true`
 * lists the pools whose budget the override breaks.
 */
export type AdmissionDecision =
  | { readonly outcome: "allowed"; readonly forced: false; readonly pools: readonly PoolNumbers[] }
  | {
      readonly outcome: "allowed";
      readonly forced: true;
      readonly reason: string;
      readonly breaches: readonly PoolNumbers[];
      readonly pools: readonly PoolNumbers[];
    }
  | {
      readonly outcome: "refused" | "queued";
      readonly error: PoolDepletionError;
      readonly pools: readonly PoolNumbers[];
    };
