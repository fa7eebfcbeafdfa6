// @ts-nocheck
export type {
  AdmissionDecision,
  AdmissionRequest,
  BudgetValue,
  GuardFleetView,
  MemberPhase,
  PoolBudget,
  PoolMember,
  PoolNumbers,
} from "./types.ts";
export { PoolDepletionError, type PoolDepletionDetails } from "./PoolDepletionError.ts";
export { admit, decide, resolveBudget, isAvailable, isSchedulable, phaseFor, poolNumbers, type ResolvedBudget } from "./admit.ts";
export { CapacityGuard, type CapacityGuardOptions } from "./CapacityGuard.ts";
