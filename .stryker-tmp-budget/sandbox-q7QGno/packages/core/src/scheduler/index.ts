// @ts-nocheck
export type {
  DrainRemaining,
  FleetDrainRecord,
  FleetDrainRequest,
  FleetDrainStatus,
  FleetNode,
  FleetView,
  DrainSchedulerEvent,
  PlannedMove,
  Workload,
} from "./types.ts";
export { DrainLimitError, NodeNotInFleetError, LastSchedulableNodeError } from "./errors.ts";
export { DrainScheduler } from "./DrainScheduler.ts";
export type { BalanceOptions, DrainSchedulerOptions, DrainStart } from "./DrainSchedulerOptions.ts";
