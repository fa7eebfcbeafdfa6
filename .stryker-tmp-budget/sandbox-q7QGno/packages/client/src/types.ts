/**
 * The wire types of the control API: the one definition every client of the
 * control plane (agent, drainctl, dashboard) reads and writes. They are the
 * registry's own resource types, imported as types only, so nothing of the
 * registry's code reaches a bundle that imports this package.
 */
// @ts-nocheck

import type { MoveChange, RegistryChange, RolloutChange } from "@drainkit/registry";

export type {
  AuditEntry,
  AuditOutcome,
  Cluster,
  ClusterRole,
  Cordon,
  CordonInput,
  DrainInput,
  DrainSpec,
  DrainStall,
  DrainStatus,
  MoveChange,
  MoveQuery,
  MoveReport,
  MoveState,
  NodePhase,
  Page,
  Peer,
  PeerPatch,
  PeerRegistration,
  PeerSpec,
  PeerStatus,
  PlacedWorkload,
  Placement,
  PoolBudget,
  Principal,
  RegistryChange,
  RegistryConfig,
  ResumeInput,
  RoleStatus,
  Rollout,
  RolloutChange,
  RolloutState,
  Scope,
  StatusReport,
  UncordonInput,
  WorkloadMove,
} from "@drainkit/registry";

/** Every change `/control/events` sends. */
export type ControlChange = RegistryChange | RolloutChange | MoveChange;

/** The kinds of change `/control/events` sends. */
export type ChangeKind = ControlChange["kind"];

/** The change type a watch of `K` kinds receives: `MoveChange` for "move", `RolloutChange` for "rollout", `RegistryChange` for the rest. */
export type ChangeOf<K extends ChangeKind> = K extends "move" ? MoveChange : K extends "rollout" ? RolloutChange : RegistryChange;
