// @ts-nocheck
export {
  planRollout,
  type BlockedNode,
  type RolloutBlockReason,
  type RolloutPlan,
  type RolloutPlanOptions,
  type RolloutTarget,
  type RolloutWave,
} from "./plan.ts";
export {
  RolloutController,
  type RolloutControllerOptions,
  type RolloutDrainResult,
  type RolloutEvent,
  type RolloutHooks,
  type RolloutNodePhase,
  type RolloutProgress,
  type RolloutResult,
} from "./RolloutController.ts";
export { assessUpgrade, type UpgradeCheck, type UpgradeObservation, type UpgradeVerdict, type UpgradeWaitReason } from "./upgradeCheck.ts";
