// @ts-nocheck
import type { Clock } from "../ports/clock.ts";
import type { EventSink } from "../ports/events.ts";
import type { DrainSchedulerEvent, FleetDrainRecord, FleetView } from "./types.ts";

/** Balancing between nodes, always below draining in priority. */
export interface BalanceOptions {
  /** Default false: the scheduler only drains. */
  readonly enabled?: boolean;
  /** Default true: no balance move is planned while any drain is active. When false, balance still never touches a draining node. */
  readonly pauseWhileDraining?: boolean;
  /** Balance moves in flight at once (default: the drain `batchSize`). */
  readonly batchSize?: number;
  /** Move only when the most and least loaded nodes differ by at least this (default and minimum 2). */
  readonly threshold?: number;
}

/** Options of {@link DrainScheduler}: the clock, the fleet and settings. */
export interface DrainSchedulerOptions {
  readonly clock: Clock;
  /** The observed fleet: nodes and where each workload sits now. */
  readonly fleet: FleetView;
  /**
   * Persisted drains to continue (a scheduler rebuilt after a failover). Each
   * resumes as draining; with `awaitIdleReport` it completes only after a fresh
   * progress report, so agents re-report their in-flight count to a new leader.
   */
  readonly records?: readonly FleetDrainRecord[];
  /** Moves in flight off one draining node at once (default 10). */
  readonly batchSize?: number;
  /** Targets draining at once per scope (default 1). */
  readonly maxDrainsPerScope?: number;
  /** Default true: a drain completes only after its participants reported 0 in flight ({@link DrainScheduler.reportProgress}). */
  readonly awaitIdleReport?: boolean;
  readonly balance?: BalanceOptions;
  /** Prefix of move ids, so ids from an earlier incarnation never match (e.g. the leader term). */
  readonly movePrefix?: string;
  /**
   * Where a workload may go. Default `"same-pool"`: only to a node sharing a
   * pool with the node it leaves (a node in no pool may send anywhere), so a
   * database shard never lands on a web server. `"any"`: any schedulable node.
   */
  readonly destinations?: "same-pool" | "any";
  readonly events?: EventSink<DrainSchedulerEvent>;
}

/** The answer to {@link DrainScheduler.startDrain}. */
export type DrainStart =
  | { readonly outcome: "started"; readonly record: FleetDrainRecord }
  /** The target already drains under this epoch or a newer one: nothing changed. */
  | { readonly outcome: "unchanged"; readonly record: FleetDrainRecord }
  /** The epoch is older than one the target has already seen: ignored. */
  | { readonly outcome: "stale"; readonly epoch: number };

/** The options with their defaults applied and checked. @internal */
export interface SchedulerSettings {
  readonly batchSize: number;
  readonly maxDrainsPerScope: number;
  readonly awaitIdle: boolean;
  readonly balance: Required<BalanceOptions>;
  readonly prefix: string;
  readonly samePool: boolean;
}

/** Applies the defaults of {@link DrainSchedulerOptions}; a count below 1 is a RangeError. @internal */
export function schedulerSettings(options: DrainSchedulerOptions): SchedulerSettings {
  const batchSize = positive(options.batchSize ?? 10, "batchSize");
  return {
    batchSize,
    maxDrainsPerScope: positive(options.maxDrainsPerScope ?? 1, "maxDrainsPerScope"),
    awaitIdle: options.awaitIdleReport ?? true,
    balance: {
      enabled: options.balance?.enabled ?? false,
      pauseWhileDraining: options.balance?.pauseWhileDraining ?? true,
      batchSize: positive(options.balance?.batchSize ?? batchSize, "balance.batchSize"),
      // Below 2 a move just swaps which node is heavier, and balance would never settle.
      threshold: Math.max(2, options.balance?.threshold ?? 2),
    },
    prefix: options.movePrefix ?? "",
    samePool: (options.destinations ?? "same-pool") === "same-pool",
  };
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} ${n}: must be a whole number >= 1`);
  return n;
}
