export type {
  AdmissionDecision,
  AdmissionRequest,
  BudgetValue,
  GuardFleetView,
  MemberPhase,
  PoolBudget,
  PoolMember,
  PoolNumbers,
  PoolTally,
  GuardPoolCounts,
} from "./types.ts";
export { PoolDepletionError, type PoolDepletionDetails } from "./PoolDepletionError.ts";
export { admit, decide, resolveBudget, isAvailable, isSchedulable, phaseFor, poolNumbers, type ResolvedBudget } from "./admit.ts";
export { CapacityGuard, type CapacityGuardOptions } from "./CapacityGuard.ts";
export { PoolCounts } from "./PoolCounts.ts";
