// @ts-nocheck
export { LifecycleOrchestrator, type LifecycleOrchestratorOptions } from "./LifecycleOrchestrator.ts";
export { planLifecycle, type LifecyclePlan, type PlanInput } from "./plan.ts";
export {
  fromComponent,
  type ComponentSnapshot,
  type LifecycleComponent,
  type LifecycleEvent,
  type LifecycleRegistration,
  type LifecycleRetry,
  type LifecycleSnapshot,
  type LifecycleStatus,
  type RetryPolicy,
} from "./types.ts";
export {
  AttemptTimeoutError,
  ComponentStartError,
  DependencyCycleError,
  DuplicateComponentError,
  InvalidRetryPolicyError,
  LifecycleAbortedError,
  LifecycleStateError,
  LifecycleStopError,
  MissingDependencyError,
  type LifecycleFailure,
  type LifecyclePhase,
} from "./errors.ts";
