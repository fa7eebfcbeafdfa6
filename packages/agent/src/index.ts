/**
 * @drainkit/agent: runs inside a host. Registers the peer, reports its status
 * on a heartbeat, follows its spec through the control plane's event stream
 * (resuming from the last revision, polling while the stream is down) and
 * drives the host's NodeDrainCoordinator: drain on a new epoch, resume when
 * the drain is lifted. Also serves the host's own /control/upgrade routes.
 */
export { DrainAgent, type AgentOptions, type AgentPeer, type AgentSnapshot, type AgentEvent, type WatchMode } from "./Agent.ts";
export {
  createControlPlaneClient,
  type ChangeKind,
  type ChangeOf,
  type ControlChange,
  type ControlPlaneClient,
  type ControlPlaneClientOptions,
  type StreamState,
  type WatchOptions,
} from "./client.ts";
export { ControlPlaneError, HistoryLostError } from "./errors.ts";
export { createSseParser, type SseMessage } from "./sse.ts";
export { WorkloadSet, WorkloadError, type WorkloadChangeCause, type WorkloadHandlers } from "./workloads.ts";
export { upgradeRoutes, type UpgradeRoutesOptions, type UpgradeState } from "./upgradeRoutes.ts";
