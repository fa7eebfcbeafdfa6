/**
 * @drainkit/agent: runs inside a host. Registers the peer, reports its status
 * on a heartbeat, follows its spec through the control plane's event stream
 * (resuming from the last revision, polling while the stream is down) and
 * drives the host's NodeDrainCoordinator: drain on a new epoch, resume when
 * the drain is lifted. Also serves the host's own /control/upgrade routes.
 * It talks to the control plane through @drainkit/client.
 */
// @ts-nocheck

export { DrainAgent, type AgentOptions, type AgentSnapshot, type ShutdownOptions, type ShutdownOutcome } from "./DrainAgent.ts";
export type { AgentPeer } from "./Registrar.ts";
export type { AgentEvent, WatchMode } from "./AgentEvent.ts";
export { WorkloadSet, WorkloadError, type WorkloadChangeCause, type WorkloadHandlers } from "./workloads.ts";
export { upgradeRoutes, type UpgradeRoutesOptions, type UpgradeState } from "./upgradeRoutes.ts";
