// @ts-nocheck
import type { PoolBudget } from "../budget/types.ts";
import type { Clock } from "../ports/clock.ts";
import type { EventSink } from "../ports/events.ts";
import type { Metrics } from "../ports/metrics.ts";
import type { FleetView } from "../scheduler/types.ts";
import type { NodePhase } from "../state/phase.ts";
import type { BlockedNode, RolloutPlan } from "./plan.ts";
import type { UpgradeObservation } from "./upgradeCheck.ts";

/**
 * What a drain hook reports; a `NodeDrainCoordinator`'s `DrainResult` fits as
 * is. `deferred`: the drain was refused for capacity (the registry's guard saw
 * a pool with no room); the node is not failed but given back and retried in
 * a later wave.
 */
export interface RolloutDrainResult {
  readonly status: "drained" | "failed" | "deferred";
  /** Why it failed or was deferred, for people. */
  readonly failure?: string;
}

/**
 * The effects a rollout drives on each node; the simulator and the control
 * plane each plug in their own. A hook that throws fails that node.
 */
export interface RolloutHooks {
  /** Stop new placements on the node (the whole wave is cordoned before any of it drains). */
  cordon(node: string): Promise<void> | void;
  /** Drain the node under `epoch`, done by `deadline` (epoch ms). */
  drain(node: string, epoch: number, deadline: number): Promise<RolloutDrainResult> | RolloutDrainResult;
  /**
   * The user's upgrade, e.g. restart on the new version. `deadline` (epoch ms)
   * is the node's healthy deadline: a hook that waits for the new version to
   * be reported should return by then (verification then fails the node with
   * the reason).
   */
  upgrade(node: string, deadline: number): Promise<void> | void;
  /**
   * Return the node to service (uncordon, reopen gates). May return the epoch
   * ms the resume took effect (agent reports from then on count); defaults to
   * the clock's time once it returns.
   */
  resume(node: string): Promise<number | void> | number | void;
  /**
   * Give back the rollout's cordon on a node that did not drain (deferred by
   * the guard, or aborted before its drain), leaving other owners' cordons.
   * Defaults to {@link resume}.
   */
  release?(node: string): Promise<void> | void;
  /** How the node looks now; polled every `healthIntervalMs` and judged by core's `assessUpgrade`. */
  observe(node: string): Promise<UpgradeObservation> | UpgradeObservation;
}

/** Options of {@link RolloutController}: ports, budgets, hooks and settings. */
export interface RolloutControllerOptions {
  readonly clock: Clock;
  /**
   * The pool budgets, or where to read them: a function is called before
   * each plan and wave, so a budget changed mid-rollout (stored budgets
   * changed by an operator) sizes the next wave.
   */
  readonly pools: readonly PoolBudget[] | (() => readonly PoolBudget[] | Promise<readonly PoolBudget[]>);
  /** The observed fleet, read before each wave (the controller overlays the phases it drives itself). */
  readonly fleet: () => FleetView | Promise<FleetView>;
  readonly hooks: RolloutHooks;
  /** Nodes per wave at most (default 1). */
  readonly maxParallel?: number;
  /** Pause once more than this many nodes failed (default 0: pause on the first failure). */
  readonly failureThreshold?: number;
  /** Time each drain gets (default 10 min). */
  readonly drainTimeoutMs?: number;
  /**
   * The healthy deadline (default 5 min): from the start of its upgrade, the
   * time a node gets to report the target version and be healthy for
   * `minHealthyMs`; observed every `healthIntervalMs` (default 1 s).
   */
  readonly healthTimeoutMs?: number;
  /** How long an upgraded node must stay healthy, without a break, to count (default 0: one healthy observation). */
  readonly minHealthyMs?: number;
  /** False: a node counts as upgraded without reporting the target version (default true). */
  readonly verify?: boolean;
  readonly healthIntervalMs?: number;
  /** Wait between attempts when no node can be admitted now (default 30 s), at most `blockedAttempts` times (default 3). */
  readonly retryDelayMs?: number;
  readonly blockedAttempts?: number;
  /** Owner name on cordons and drains (default "rollout"). */
  readonly owner?: string;
  readonly events?: EventSink<RolloutEvent>;
  /** Counts `pool_forced_breaches_total` / `pool_admissions_total` through the guard. */
  readonly metrics?: Metrics;
}

/** Where one node stands in the rollout. */
export type RolloutNodePhase = "cordoned" | "draining" | "drained" | "upgrading" | "resuming" | "healthy" | "failed" | "deferred";

/** Counts and the estimated time left. */
export interface RolloutProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly inProgress: number;
  readonly remaining: number;
  /** Estimated milliseconds left, from the pace so far; undefined before the first node finishes. */
  readonly etaMs: number | undefined;
  readonly state: "idle" | "running" | "paused" | "aborted" | "finished";
}

/** Events a rollout emits (the SSE feed, the simulator's trace). */
export type RolloutEvent =
  | { readonly type: "rollout-planned"; readonly plan: RolloutPlan }
  | { readonly type: "rollout-wave-started"; readonly wave: number; readonly nodes: readonly string[] }
  | {
      readonly type: "rollout-node";
      readonly node: string;
      readonly phase: RolloutNodePhase;
      /** The node's phase in the node/role state machine. */
      readonly nodePhase: NodePhase;
      readonly wave: number;
      readonly epoch?: number;
      readonly reason?: string;
    }
  | { readonly type: "rollout-progress"; readonly progress: RolloutProgress }
  | { readonly type: "rollout-blocked"; readonly blocked: readonly BlockedNode[]; readonly attempt: number }
  | { readonly type: "rollout-paused"; readonly reason: string }
  | { readonly type: "rollout-resumed" }
  | { readonly type: "rollout-finished"; readonly result: RolloutResult };

/** The outcome of a rollout. */
export interface RolloutResult {
  /** `completed`: every node upgraded; `incomplete`: some failed or stayed blocked; `aborted`: stopped by {@link RolloutController.abort}. */
  readonly status: "completed" | "incomplete" | "aborted";
  readonly upgraded: readonly string[];
  readonly failed: readonly { readonly node: string; readonly reason: string }[];
  readonly blocked: readonly BlockedNode[];
}
