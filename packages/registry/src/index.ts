/**
 * @drainkit/registry: peers, clusters and config with RBAC, ETags,
 * idempotency and a tamper-evident audit log, on top of the small
 * {@link RegistryStore} port.
 */
export type {
  Versioned, Compare, TxnOp, TxnRequest, TxnResult, Change, ListOptions, ListResult, WatchHandle, Leadership, Fence, RegistryStore,
} from "./store.ts";
export type * from "./types.ts";
export * from "./errors.ts";
export { makeMemoryStore, CompactedError, StoreClosedError, type MemoryStore, type MemoryStoreOptions } from "./memoryStore.ts";
export type { RefusalLimit } from "./audit/refusalLimiter.ts";
export { createRegistry, type RegistryOptions, type DeclaredCluster, type RegistryEvent } from "./createRegistry.ts";
export { budgetsOf, poolInputsOf, validatePoolInput } from "./pools.ts";
export { compactionTarget, type RevisionSample } from "./compaction.ts";
export { hasScope } from "./rbac.ts";
export { livenessWindow } from "./peerRecord.ts";
export { auditSignerFromKey, checkpointPayload, type AuditSigner } from "./audit/checkpoint.ts";
export { defaultConfigSchema } from "./config.ts";
export { approvalNext, describeChange, needsApproval, type ApprovalNeed, type ApprovalSettings, type PoolImpact } from "./approvals/needsApproval.ts";
export { mergePatch } from "./mergePatch.ts";
export { passesWatchFilter, type ChangeFilter } from "./watchFilter.ts";
export {
  applyRolloutStep,
  applyRolloutVerb,
  countsOf,
  fleetNodeOf,
  peerVersion,
  planNewRollout,
  rolloutActive,
  selects,
  RolloutInProgressError,
  RolloutTransitionError,
  type Rollout,
  type RolloutChange,
  type RolloutCounts,
  type RolloutDefaults,
  type RolloutNodeStatus,
  type RolloutNodeStep,
  type RolloutSelector,
  type RolloutSettings,
  type RolloutStartInput,
  type RolloutState,
  type RolloutStep,
} from "./rollouts.ts";
export {
  applyMoveReport,
  authorizeMoveReport,
  matchesMoveQuery,
  moveActive,
  moveEnded,
  MovePlanConflictError,
  MoveStateConflictError,
  type MoveChange,
  type MovePlan,
  type MoveQuery,
  type MoveReport,
  type MoveState,
  type WorkloadMove,
} from "./moves.ts";
