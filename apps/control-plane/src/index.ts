/**
 * @drainkit/control-plane: the server behind `drainkit serve`, usable as a
 * library (tests, embedding): store + registry + HTTP API + fleet controllers
 * under one lifecycle.
 */
export { startControlPlane, parseListen, type ControlPlane, type ControlPlaneOptions } from "./controlPlane.ts";
export { parseStoreUrl, openStore, type StoreLocation } from "./storeUrl.ts";
export { Leadership, ELECTION, type LeadershipOptions, type LeaderWork } from "./leadership.ts";
export { SELF_ROLE, selfPoolBudget, type SelfPeer, type SelfPeerOptions } from "./selfPeer/selfPeer.ts";
export { startDrainDeadlines, type DrainDeadlines, type DrainDeadlinesOptions } from "./controllers/drainDeadlines.ts";
export { startCordonExpiry, type CordonExpiryOptions } from "./controllers/cordonExpiry.ts";
export { startRollouts, type RolloutRunner, type RolloutRunnerOptions } from "./controllers/rollouts.ts";
export { parsePoolFlag } from "./poolFlag.ts";
export { startWorkloadMoves, superviseWorkloadMoves, type WorkloadMoveMetrics, type WorkloadMoves, type WorkloadMovesOptions } from "./controllers/workloadMoves.ts";
export { registerDashboard, dashboardDistDir, DASHBOARD_CSP, type DashboardOptions } from "./ui.ts";
