// @ts-nocheck
export { type RolePhase, type NodePhase, ROLE_PHASES, PREDEFINED_ROLES, derivePhase } from "./phase.ts";
export { type RoleEvent, type RoleEventType } from "./RoleEvent.ts";
export {
  type Cordon,
  type RoleDrain,
  type RoleState,
  type RoleEffect,
  type Transition,
  ALLOWED_EVENTS,
  createRoleState,
  transition,
  expireRole,
} from "./transition.ts";
export {
  type NodeState,
  type NodeEvent,
  type NodeTransition,
  createNodeState,
  nodePhase,
  isCordoned,
  transitionNode,
  expireNode,
  nextExpiry,
} from "./node.ts";
export { InvalidTransitionError, UnknownRoleError } from "./errors.ts";
