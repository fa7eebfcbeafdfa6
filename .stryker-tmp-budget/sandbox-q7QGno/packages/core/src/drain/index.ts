// @ts-nocheck
export { type DrainParticipant, type CountingParticipant, createCountingParticipant, GateClosedError } from "./participant.ts";
export {
  NodeDrainCoordinator,
  type NodeDrainCoordinatorOptions,
  type DrainRequest,
  type DrainResult,
  type DrainSnapshot,
  type CoordinatorStatus,
  type DrainFailureCause,
  type DrainCoordinatorEvent,
  type ParticipantSnapshot,
  type ParticipantState,
} from "./coordinator.ts";
export { StaleEpochError, ResumeFailedError, DrainConfigError, DrainStoppedError } from "./errors.ts";
