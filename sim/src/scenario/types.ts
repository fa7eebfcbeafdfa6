/** A budget as core's capacity guard takes it: a count or a percent string. */
export type BudgetValue = number | `${number}%`;

/** A time span as a `[min, max]` uniform range or a fixed value, in ms. */
export type Span = number | { readonly min: number; readonly max: number };

/** An operator action at a virtual time (`at`, ms since the start). */
export type ScenarioAction =
  | {
      /** Upgrade every node once: drain, upgrade, resume, within every pool's budget. */
      readonly type: "rolling-upgrade";
      readonly at: number;
      readonly upgradeMs?: Span;
      /** Wait before asking the guard again after a refusal, ms. */
      readonly retryMs?: Span;
      /**
       * `rollout` (default): core's `RolloutController` plans and drives waves.
       * `per-pool`: one operator per pool drains as many members as the guard
       * admits, the next as soon as one is back (for fleets where planning
       * waves over the whole fleet costs too much).
       */
      readonly controller?: "rollout" | "per-pool";
      /** Nodes per wave at most (rollout controller; default: the sum of every pool's budget). */
      readonly maxParallel?: number;
      /** Only these nodes, by id, in order of preference (rollout controller; default: every node). */
      readonly nodes?: readonly string[];
    }
  | {
      /**
       * Drain exactly these nodes, by id, in order, as one operator would with
       * `drainctl peers drain`: each is asked of the guard once (a refusal is
       * reported, not retried) and stays drained (held) once done.
       */
      readonly type: "drain";
      readonly at: number;
      readonly nodes: readonly string[];
      /** An admin forces these drains through the pool budgets with this reason (a breach is counted, not refused). */
      readonly force?: string;
    }
  | {
      /** `operators` operators each draining random nodes against the guard, retrying when refused. */
      readonly type: "concurrent-drains";
      readonly at: number;
      readonly operators: number;
      readonly drainsPerOperator: number;
      /** Pause between an operator's drains (upgrade window), ms. */
      readonly holdMs?: Span;
      /** Wait before asking the guard again after a refusal, ms. */
      readonly retryMs?: Span;
    }
  | {
      /** Several owners cordon overlapping random nodes, then release them. */
      readonly type: "cordons";
      readonly at: number;
      readonly owners: readonly string[];
      readonly nodesPerOwner: number;
      readonly holdMs: Span;
    };

/**
 * One host of a {@link FleetSnapshot}, as the registry last saw it
 * (`drainctl fleet export` writes these from `GET /control/peers`).
 */
export interface SnapshotNode {
  readonly id: string;
  /** Pools it belongs to; the first one is the pool the simulator counts it in. */
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  readonly zone?: string;
  /** The registry's phase: active, cordoned, draining, drained, failed (partially-drained counts as draining). */
  readonly phase: string;
  readonly cordoned: boolean;
  /** False when the host is down or stopped reporting (default true): it counts against its pool. */
  readonly healthy?: boolean;
  readonly workloads: { readonly owners: number; readonly children: number };
  /** Units of work in flight when the snapshot was taken (all participants summed). */
  readonly inFlight: number;
}

/** A pool's budget as the control plane keeps it (`drainkit serve --pool`). */
export interface SnapshotPool {
  readonly name: string;
  readonly role?: string;
  readonly minAvailable?: BudgetValue;
  readonly maxUnavailable?: BudgetValue;
  readonly minSchedulable?: BudgetValue;
}

/**
 * A live fleet, frozen: nodes and pool budgets. A scenario whose
 * `fleet.snapshot` is set runs on these nodes instead of a generated fleet.
 * Pools named by nodes but not listed in `pools` have no budget.
 */
export interface FleetSnapshot {
  readonly version: 1;
  /** Epoch ms when it was taken. */
  readonly takenAt?: number;
  /** Where it came from, e.g. the control-plane URL. */
  readonly source?: string;
  readonly pools: readonly SnapshotPool[];
  readonly nodes: readonly SnapshotNode[];
}

/** A fault injected at a virtual time. */
export type ScenarioFault =
  | { readonly type: "node-crash"; readonly at: number; readonly count: number; readonly recoverMs?: Span }
  | { readonly type: "hung-participant"; readonly at: number; readonly count: number }
  | { readonly type: "destination-crash"; readonly at: number; readonly count: number; readonly recoverMs?: Span }
  | { readonly type: "coordinator-failover"; readonly at: number; readonly downMs?: Span }
  /** The network delivers again an older agent report ("idle", an earlier epoch) of up to `count` nodes draining again. */
  | { readonly type: "stale-report"; readonly at: number; readonly count: number }
  /** Full-stack mode: `count` hosts (of `pool`, else any) are cut off from the control plane for `durationMs`: their agents' calls fail, their event streams break. */
  | { readonly type: "agent-partition"; readonly at: number; readonly count: number; readonly durationMs?: Span; readonly pool?: string };

/**
 * What a regression scenario must produce (`sim/scenarios/regressions/`,
 * checked by `test/regressions.test.ts`); a run ignores it.
 */
export interface ScenarioExpectation {
  readonly status?: "completed" | "blocked" | "incomplete" | "violated";
  /** The invariants broken, exactly (empty: none). */
  readonly violations?: readonly string[];
  readonly blockedPools?: readonly string[];
  readonly forcedBreaches?: number;
  readonly refusedAtLeast?: number;
  /** Cordons of `cordons` actions the guard refused, exactly (each reported with its reason). */
  readonly cordonsRefused?: number;
  /** Text every blocked node's reason must contain (e.g. the guard's own words). */
  readonly blockedReason?: string;
  readonly notUpgraded?: number;
  readonly controlPlaneDownMs?: number;
  /** A hand-written mutant (`test/mutants.ts`) the checks must catch on this scenario ... */
  readonly mutant?: string;
  /** ... by reporting at least one of these invariants. */
  readonly mutantViolations?: readonly string[];
}

/**
 * A simulation scenario: fleet shape, budgets, traffic, operator actions and
 * faults. Loaded from YAML or JSON by `loadScenario`, validated against
 * `scenarioSchema`.
 */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly seed?: number;
  /** Virtual time at which the run stops even if work remains, ms. */
  readonly durationMs: number;
  /**
   * `core` (default): the simulator drives core and models the control plane
   * and agents; `full-stack`: the shipped registry, leader controllers and
   * agents run on virtual time (see sim/README.md). `--mode` overrides it.
   */
  readonly mode?: "core" | "full-stack";
  /** Full-stack mode: the agents' heartbeat and the registry's liveness window (`heartbeat.staleAfterMs`), ms. Defaults 5 000 and 30 000. */
  readonly liveness?: { readonly staleAfterMs?: number; readonly heartbeatMs?: number };
  readonly fleet: {
    readonly nodes: number;
    readonly pools: number;
    readonly zones?: number;
    /** Roles served; pool `i` serves `roles[i % roles.length]`. */
    readonly roles?: readonly string[];
    readonly ownersPerNode?: number;
    readonly childrenPerOwner?: number;
    /** Share of the nodes (0..1, spread evenly) that also belong to the next pool (node i of pool p joins pool p + 1). */
    readonly overlap?: number;
    /**
     * Run on these nodes and budgets instead of a generated fleet; `nodes`
     * must equal the snapshot's node count and `pools`, `zones`, `roles`,
     * `ownersPerNode`, `childrenPerOwner` and `budget` are then not used.
     */
    readonly snapshot?: FleetSnapshot;
  };
  readonly budget: {
    readonly maxUnavailable?: BudgetValue;
    readonly minAvailable?: BudgetValue;
  };
  readonly traffic?: {
    /** Mean request arrivals per node per second. */
    readonly ratePerNode: number;
    /** Mean service time of one request, ms (exponential, truncated at 63 ticks). */
    readonly serviceMs: number;
    /** Arrivals are batched per node per tick of this length, ms. */
    readonly tickMs?: number;
  };
  readonly drain?: {
    readonly deadlineMs?: number;
    /** Allowed lateness past the deadline before a drain counts as stuck, ms. */
    readonly slackMs?: number;
    /** Time to move one workload, ms. */
    readonly moveMs?: Span;
  };
  /** One-way delay of every control-plane message, ms; full-stack mode: `loss`, the share of agent calls lost. */
  readonly network?: { readonly delayMs: Span; readonly loss?: number };
  readonly actions: readonly ScenarioAction[];
  readonly faults?: readonly ScenarioFault[];
  readonly expect?: ScenarioExpectation;
}
