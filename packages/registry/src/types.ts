import type { NodePhase, PoolBudget, RolePhase } from "@drainkit/core";
import type { MoveChange, MovePlan, MoveQuery, MoveReport, WorkloadMove } from "./moves.ts";
import type { Rollout, RolloutChange, RolloutStartInput, RolloutStep } from "./rollouts.ts";

/**
 * The registry's public data shapes: peers (spec + status), clusters, config,
 * audit entries and the inputs of every mutation. Values returned to callers
 * are plain JSON, so REST, gRPC and the simulator can pass them on unchanged.
 */

/**
 * What a principal may do. `mesh.admin` implies `mesh.operate` and
 * `mesh.read`; `mesh.operate` implies `mesh.read`; `mesh.agent` may read and
 * register / report only its own peer (principal id === peer id).
 */
export type Scope = "mesh.read" | "mesh.agent" | "mesh.operate" | "mesh.admin";

/** An authenticated caller. The transport (HTTP, gRPC) resolves it. */
export interface Principal {
  readonly id: string;
  readonly scopes: readonly Scope[];
}

/** Settings every mutation accepts beside its own input. */
export interface MutationOptions {
  /** Same key + same request returns the stored outcome; same key + other request is `idempotency-conflict`. */
  readonly idempotencyKey?: string;
  /** The ETag (`"<version>"`) the caller last read; stale → `etag-mismatch`. */
  readonly ifMatch?: string;
  readonly reason?: string;
  readonly ticket?: string;
  /** Explicit confirmation for destructive verbs (forced drain, demote, config). */
  readonly confirm?: boolean;
  /** Runs every check and returns the would-be outcome without writing or auditing. */
  readonly dryRun?: boolean;
}

/** Role and node phases and pool budgets are core's own types. */
export type { NodePhase, PoolBudget, RolePhase };

/** One owner's cordon. A node is cordoned while any unexpired cordon remains. */
export interface Cordon {
  readonly reason: string;
  readonly ticket?: string;
  /** Epoch ms when the cordon was placed. */
  readonly at: number;
  /** Epoch ms after which the cordon no longer counts. */
  readonly expiresAt?: number;
}

/** The desired drain, as the host's agent sees it in its spec. */
export interface DrainSpec {
  /** Monotonic per peer; stale reports from older epochs are ignored. */
  readonly epoch: number;
  /** Epoch ms by which the drain must finish, or it fails. */
  readonly deadline: number;
  readonly roles: readonly string[];
  readonly reason: string;
  readonly ticket?: string;
  readonly requestedAt: number;
  readonly requestedBy: string;
  /** True when an admin forced it past a pool budget. */
  readonly forced?: boolean;
  /**
   * Set by the control plane's drain scheduler while the drain cannot progress
   * (e.g. no peer of its pools can take its workloads), cleared once it can.
   */
  readonly stalled?: DrainStall;
}

/** Why a drain makes no progress now, and since when. */
export interface DrainStall {
  readonly reason: string;
  /** Up to 20 of the workloads that have nowhere to go. */
  readonly workloads: readonly string[];
  /** Epoch ms since the drain has been stalled for this reason. */
  readonly since: number;
}

/** Input of {@link Registry.reportDrainStalled}: a reason sets the stall, none clears it. */
export interface DrainStallReport {
  /** The drain it is about; a report for another epoch changes nothing. */
  readonly epoch: number;
  readonly reason?: string;
  readonly workloads?: readonly string[];
}

/** Desired state, written by operators and the control plane. */
export interface PeerSpec {
  /** Cordons keyed by owner (a principal, a controller, a rollout). */
  readonly cordons: Readonly<Record<string, Cordon>>;
  readonly drain?: DrainSpec;
}

export interface RoleStatus {
  readonly phase: RolePhase;
  readonly epoch: number;
}

/** One workload a peer holds, as its agent reports it. */
export interface PlacedWorkload {
  readonly id: string;
  /** The owner workload; absent for an owner. */
  readonly owner?: string;
}

/**
 * Which workloads a peer holds, as its agent last reported them. Stored under
 * its own key (`placement/<peer>`) and rewritten only when the list changes,
 * so a heartbeat repeating the same placement writes nothing but the peer's
 * small status.
 *
 * @example
 * const { items, version } = await registry.getPlacement(reader, "node-a");
 */
export interface Placement {
  readonly peer: string;
  /** As reported, in report order. */
  readonly items: readonly PlacedWorkload[];
  /** Bumped each time the list changes; 0 when never reported. */
  readonly version: number;
  /** Epoch ms of the report that changed it (registry clock); 0 when never reported. */
  readonly updatedAt: number;
}

/** One entry of `watchAll` for a peer's placement (`kind: "placement"`); `value` is undefined once deleted. */
export interface PlacementChange {
  readonly revision: number;
  readonly kind: "placement";
  /** The peer id. */
  readonly id: string;
  readonly value: Placement | undefined;
}

/** Observed state, reported by the host's agent. */
export interface PeerStatus {
  readonly roles: Readonly<Record<string, RoleStatus>>;
  /** In-flight units per drain participant. */
  readonly inFlight: Readonly<Record<string, number>>;
  readonly workloads: { readonly owners: number; readonly children: number };
  /**
   * Version of the peer's {@link Placement} (`placement/<id>`, read with
   * `getPlacement`); absent until the agent first reports placement. The list
   * itself is kept out of the peer document so a heartbeat stays small.
   */
  readonly placementVersion?: number;
  /** Epoch ms of the report, as stamped by the registry's clock. */
  readonly heartbeatAt: number;
  /** The drain epoch the agent last acted on. */
  readonly epoch: number;
  readonly reason?: string;
}

/** A host taking part in coordinated maintenance. */
export interface Peer {
  readonly id: string;
  readonly address: string;
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly spec: PeerSpec;
  readonly status?: PeerStatus;
  /** Per-role phase held by the registry (core's state machine, expiries applied). */
  readonly phases: Readonly<Record<string, RolePhase>>;
  /** Derived from `phases` by core's `derivePhase` (may be "partially-drained"). */
  readonly phase: NodePhase;
  /** Current drain epoch (0 before the first drain). */
  readonly epoch: number;
  /** Bumped on every write of this peer; the ETag is `"<version>"`. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type ClusterRole = "active" | "backup";

export interface Cluster {
  readonly id: string;
  readonly role: ClusterRole;
  /** Free-form lifecycle state, e.g. "serving", "promoting", "standby". */
  readonly state: string;
  /** Bumped on every write; ETag `"<version>"` (0 for a declared cluster never written yet). */
  readonly version: number;
}

/** What every successful (or no-op) mutation returns. */
export interface MutationOutcome<T> {
  readonly value: T;
  /** `"<version>"` of the target after the mutation. */
  readonly etag: string;
  /** False for an idempotent no-op: no new epoch, no second change. */
  readonly changed: boolean;
  /** The audit entry written for this attempt ("" for a dry run). */
  readonly auditId: string;
  /** True when returned from the idempotency record of an earlier attempt. */
  readonly replayed?: boolean;
}

/** Drain progress of one peer, for `GET /control/peers/{id}/drain` (202 while draining). */
export interface DrainStatus {
  readonly peer: string;
  readonly epoch: number;
  readonly status: "none" | "draining" | "drained" | "failed";
  readonly deadline?: number;
  readonly roles: readonly string[];
  readonly remaining: { readonly inFlight: number; readonly owners: number; readonly children: number };
  readonly reason?: string;
  /** Participants or roles still holding the drain up. */
  readonly blocking?: readonly string[];
}

/** A drain in the registry, for controllers rebuilding their view after failover. */
export interface DrainRecord {
  readonly peer: string;
  readonly request: DrainSpec;
  readonly status: DrainStatus["status"];
}

export type AuditOutcome = "ok" | "refused" | "error";

export type AuditAction =
  | "registerPeer"
  | "reportStatus"
  | "cordon"
  | "uncordon"
  | "drain"
  | "resume"
  | "patchPeer"
  | "promote"
  | "demote"
  | "patchConfig"
  | (string & {});

/** One attempt, allowed or refused. Hash-chained: `hash = sha256(content, prevHash)`. */
export interface AuditEntry {
  /** 1, 2, 3… with no gaps. */
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  /** Principal id, or "anonymous" for unauthenticated attempts. */
  readonly actor: string;
  readonly scopes: readonly Scope[];
  readonly action: AuditAction;
  /** e.g. `peer/<id>`, `cluster/<id>`, `config`. */
  readonly target: string;
  readonly reason?: string;
  readonly ticket?: string;
  readonly idempotencyKey?: string;
  readonly outcome: AuditOutcome;
  /** The error code when the outcome is refused or error. */
  readonly errorCode?: string;
  readonly latencyMs: number;
  readonly etagBefore?: string;
  readonly etagAfter?: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditQuery {
  readonly target?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly outcome?: AuditOutcome;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  readonly limit?: number;
  readonly cursor?: string;
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly firstBad: { readonly seq: number; readonly id: string; readonly reason: string } };

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
  /** Store revision the page was read at (resume the change feed from here). */
  readonly revision: number;
}

/** One entry of the change feed. `value` is undefined on delete. */
export interface RegistryChange {
  readonly revision: number;
  readonly kind: "peer" | "cluster" | "config" | "audit";
  readonly id: string;
  readonly value: Peer | Cluster | RegistryConfig | AuditEntry | undefined;
}

// ---- mutation inputs ----

export interface PeerRegistration {
  readonly id: string;
  readonly address: string;
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface StatusReport {
  readonly roles: Readonly<Record<string, RoleStatus>>;
  readonly inFlight?: Readonly<Record<string, number>>;
  /** Counts; derived from `placement` when only that is given. */
  readonly workloads?: { readonly owners: number; readonly children: number };
  /**
   * The workloads the peer holds (at most 10,000, ids unique, an entry never
   * its own owner). Stored as reported under `placement/<id>` (written only
   * when it differs from the stored list); when `workloads` is absent the
   * counts are derived from it (owners: entries without `owner`).
   */
  readonly placement?: readonly PlacedWorkload[];
  /** The drain epoch the agent acted on; reports from an older epoch are ignored. */
  readonly epoch: number;
  readonly reason?: string;
}

export interface CordonInput {
  /** Defaults to the principal's id. */
  readonly owner?: string;
  readonly reason: string;
  readonly ticket?: string;
  readonly expiresAt?: number;
}

export interface UncordonInput {
  /** Defaults to the principal's id. */
  readonly owner?: string;
}

export interface DrainInput {
  /** Relative deadline; the registry's default applies when neither form is given. */
  readonly deadlineMs?: number;
  /** Absolute deadline, epoch ms. */
  readonly deadline?: number;
  readonly reason: string;
  readonly ticket?: string;
  /** Roles to drain; all of the peer's roles by default. */
  readonly roles?: readonly string[];
  /** Past a pool budget; needs mesh.admin, a reason and `confirm`. */
  readonly force?: boolean;
}

export interface ResumeInput {
  readonly reason?: string;
  readonly ticket?: string;
}

/** JSON merge patch (RFC 7396) of labels and metadata; `null` deletes. */
export interface PeerPatch {
  readonly labels?: Readonly<Record<string, string | null>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface PeerQuery {
  readonly role?: string;
  /** Node phase. */
  readonly state?: NodePhase;
  /** `key=value` or `key`. */
  readonly label?: string;
  readonly pool?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

// ---- pools and config ----

/** Schema of one allow-listed setting. */
export type SettingSchema =
  | { readonly type: "integer" | "number"; readonly min?: number; readonly max?: number; readonly default: number; readonly description: string }
  | { readonly type: "string"; readonly pattern?: string; readonly default: string; readonly description: string }
  | { readonly type: "boolean"; readonly default: boolean; readonly description: string }
  | { readonly type: "enum"; readonly values: readonly string[]; readonly default: string; readonly description: string };

/** The allow-list: only these keys may be set, each validated by its schema. */
export type ConfigSchema = Readonly<Record<string, SettingSchema>>;

/** Current settings (defaults filled in) and their version (ETag `"<version>"`, 0 before the first patch). */
export interface RegistryConfig {
  readonly values: Readonly<Record<string, string | number | boolean>>;
  readonly version: number;
}

// ---- the registry ----

/**
 * Peers, clusters and config with RBAC, idempotency, If-Match and a
 * tamper-evident audit log. Built by `createRegistry`. Every mutation,
 * allowed or refused, writes exactly one audit entry (a refusal in its own
 * transaction); a replay of an Idempotency-Key returns the stored outcome and
 * writes nothing.
 */
export interface Registry {
  /** Register or refresh a peer's identity (mesh.agent for itself, or mesh.operate). */
  registerPeer(principal: Principal, input: PeerRegistration, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** The agent's observed status; feeds `drained` / `fail` into the state machine. */
  reportStatus(principal: Principal, id: string, report: StatusReport, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  cordon(principal: Principal, id: string, input: CordonInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  uncordon(principal: Principal, id: string, input?: UncordonInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  drain(principal: Principal, id: string, input: DrainInput, options?: MutationOptions): Promise<MutationOutcome<DrainStatus>>;
  resume(principal: Principal, id: string, input?: ResumeInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /**
   * The control plane says why a drain makes no progress (mesh.operate): shown
   * as the drain's `reason` and `blocking` until cleared (no `reason`). A
   * report for another epoch than the current drain's changes nothing.
   */
  reportDrainStalled(principal: Principal, id: string, report: DrainStallReport, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** Labels / metadata merge patch; If-Match is required. */
  patchPeer(principal: Principal, id: string, patch: PeerPatch, options: MutationOptions): Promise<MutationOutcome<Peer>>;
  getPeer(principal: Principal, id: string): Promise<{ readonly peer: Peer; readonly etag: string }>;
  listPeers(principal: Principal, query?: PeerQuery): Promise<Page<Peer>>;
  drainStatus(principal: Principal, id: string): Promise<DrainStatus>;
  listClusters(principal: Principal): Promise<readonly Cluster[]>;
  promote(principal: Principal, clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
  /** Needs `confirm`; never demotes the last active cluster. */
  demote(principal: Principal, clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
  getConfig(principal: Principal): Promise<RegistryConfig>;
  /** Allow-listed keys only; needs mesh.admin and `confirm`; `null` resets to the default. */
  patchConfig(principal: Principal, patch: Readonly<Record<string, unknown>>, options?: MutationOptions): Promise<MutationOutcome<RegistryConfig>>;
  queryAudit(principal: Principal, query?: AuditQuery): Promise<Page<AuditEntry>>;
  /** Walks the hash chain; names the first entry that does not match. */
  verifyAudit(): Promise<AuditVerification>;
  /** Revision-ordered changes after `fromRevision`: history first, then live. */
  watch(fromRevision: number, onChange: (change: RegistryChange) => void, onError?: (error: Error) => void): { close(): void };
  /**
   * Audits an attempt refused before it reached a mutation (401, 403, 400 at
   * the transport). Writes one entry with outcome "refused".
   */
  recordRefusal(principal: Principal | undefined, action: AuditAction, target: string, error: { readonly code: string }, options?: MutationOptions): Promise<AuditEntry>;
  /** Every peer with a drain request, for controllers rebuilding after failover. */
  drainRecords(): Promise<readonly DrainRecord[]>;
  /**
   * Like {@link watch}, plus `kind: "rollout"` (rolling upgrades), `kind: "move"`
   * (workload moves) and `kind: "placement"` (a peer's placement changed) changes.
   */
  watchAll(fromRevision: number, onChange: (change: RegistryChange | RolloutChange | MoveChange | PlacementChange) => void, onError?: (error: Error) => void): { close(): void };
  /**
   * The workloads peer `id` holds, as last reported (mesh.read, or the peer's
   * own agent). `not-found` for an unknown peer; version 0 with no items when
   * its agent never reported placement.
   */
  getPlacement(principal: Principal, id: string): Promise<Placement>;
  /** Every reported placement (mesh.read), by peer id; peers that never reported have none. */
  listPlacements(principal: Principal): Promise<readonly Placement[]>;
  /** A rollout by id, or the latest one; `not-found` when there is none. */
  getRollout(principal: Principal, id?: string): Promise<Rollout>;
  /** Every rollout, oldest first. */
  listRollouts(principal: Principal): Promise<readonly Rollout[]>;
  /**
   * Plans and records a rolling upgrade (mesh.operate); the leader runs it.
   * `dryRun` returns the plan, with every node that cannot drain now and why,
   * writing nothing. One rollout at a time (`rollout-in-progress`).
   */
  startRollout(principal: Principal, input: RolloutStartInput, options?: MutationOptions): Promise<MutationOutcome<Rollout>>;
  /** Pause / resume / abort (abort needs `confirm`) the rollout `id`, or the latest one. */
  pauseRollout(principal: Principal, id: string | undefined, options?: MutationOptions): Promise<MutationOutcome<Rollout>>;
  resumeRollout(principal: Principal, id: string | undefined, options?: MutationOptions): Promise<MutationOutcome<Rollout>>;
  abortRollout(principal: Principal, id: string | undefined, options?: MutationOptions): Promise<MutationOutcome<Rollout>>;
  /** The leader's rollout runner records each node's step (mesh.operate). */
  recordRolloutStep(principal: Principal, id: string, step: RolloutStep, options?: MutationOptions): Promise<MutationOutcome<Rollout>>;
  /**
   * Records a workload move in state `starting` (mesh.operate; the leader).
   * `from` and `to` must be registered peers and differ. The same id with the
   * same plan is a no-op; with another plan, `move-plan-conflict`.
   */
  planMove(principal: Principal, plan: MovePlan, options?: MutationOptions): Promise<MutationOutcome<WorkloadMove>>;
  /**
   * Moves a move along its state machine: `serving` and `failed` from the
   * destination's agent, `done` from the source's agent, any of them with
   * mesh.operate. Repeating the current state is a no-op; any other arrow is
   * `move-state-conflict` (409).
   */
  reportMove(principal: Principal, id: string, report: MoveReport, options?: MutationOptions): Promise<MutationOutcome<WorkloadMove>>;
  /** Moves, oldest first. mesh.read sees all; an agent only the moves from or to its own peer. */
  listMoves(principal: Principal, query?: MoveQuery): Promise<readonly WorkloadMove[]>;
  /**
   * Deletes ended (`done` / `failed`) moves last written before `before`
   * (mesh.operate): at most 25 per call, in one transaction with one audit
   * entry; `remaining` says how many more are due (call again).
   */
  pruneMoves(principal: Principal, input: { readonly before: number }, options?: MutationOptions): Promise<MutationOutcome<{ readonly deleted: number; readonly remaining: number }>>;
  /**
   * Deletes idempotency records written before `before` that have also
   * outlived the registry's `idempotencyTtlMs` (a record that still counts
   * is never deleted), oldest first, of every principal (mesh.admin): at most
   * 30 per call, in one transaction with one audit entry. A call that finds
   * nothing due writes nothing and is not audited (`auditId` ""). `remaining`
   * says how many more are due (counted up to 1 000): call again while > 0.
   *
   * @example
   * const { value } = await registry.sweepIdempotency(admin, { before: Date.now() });
   * if (value.remaining > 0) await registry.sweepIdempotency(admin, { before: Date.now() });
   */
  sweepIdempotency(principal: Principal, input: { readonly before: number }, options?: MutationOptions): Promise<MutationOutcome<IdempotencySweep>>;
}

/** What one {@link Registry.sweepIdempotency} call did. */
export interface IdempotencySweep {
  /** Expired idempotency records deleted by this call. */
  readonly deleted: number;
  /** Expired records still due after this call (counted up to 1 000). */
  readonly remaining: number;
}
