/**
 * @drainkit/grpc: the control API as a gRPC service (`drainkit.control.v1`),
 * a typed client, the standard grpc.health.v1 service, and a drain
 * participant for @grpc/grpc-js servers.
 */
// @ts-nocheck

export { addControlService, type Authenticate, type ControlServiceOptions } from "./controlService.ts";
export { startControlServer, type ControlServer, type ControlServerOptions } from "./server.ts";
export { createControlClient, type WatchEventsChange, type ControlClient, type ControlClientOptions, type PruneMovesResult, type StagedOutcome, type WatchEventsOptions, type WireApproval } from "./client.ts";
export { createHealthService, type HealthService, type ServingStatus } from "./health.ts";
export { createGrpcDrainParticipant, DRAINING_METADATA, type GrpcDrainParticipant, type GrpcDrainParticipantOptions } from "./participant.ts";
export { ControlError, controlErrorFrom, grpcStatusFor, toServiceError, ERROR_CODE_METADATA, ERROR_DOMAIN } from "./errors.ts";
export {
  PROTO_DIR,
  LOADER_OPTIONS,
  CONTROL_SERVICE_NAME,
  HEALTH_SERVICE_NAME,
  controlServiceDefinition,
  healthServiceDefinition,
} from "./proto.ts";
