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
export { DrainScheduler, type BalanceOptions, type DrainSchedulerOptions, type DrainStart } from "./DrainScheduler.ts";
