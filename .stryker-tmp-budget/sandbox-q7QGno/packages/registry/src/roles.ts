// @ts-nocheck
import type { PoolBudget } from "@drainkit/core";
import type { MoveChange, MovePlan, MoveQuery, MoveReport, WorkloadMove } from "./moves.ts";
import type { Rollout, RolloutChange, RolloutStartInput, RolloutStep } from "./rollouts.ts";
import type { Approval, ApprovalChange, ApprovalExpiry, ApprovalQuery, StagedChange } from "./types/approval.ts";
import type { AuditAction, AuditCheckpoint, AuditEntry, AuditHeadView, AuditPrune, AuditQuery, AuditRetention, AuditVerification } from "./types/audit.ts";
import type { RegistryChange } from "./types/change.ts";
import type { Cluster } from "./types/cluster.ts";
import type { RegistryConfig } from "./types/config.ts";
import type { CordonInput, DrainInput, DrainRecord, DrainStallReport, DrainStatus, ResumeInput, UncordonInput, DrainFailure } from "./types/drain.ts";
import type { MutationOptions, MutationOutcome, Page } from "./types/mutation.ts";
import type { Peer, PeerPatch, PeerQuery, PeerRegistration, StatusReport } from "./types/peer.ts";
import type { Placement, PlacementChange } from "./types/placement.ts";
import type { Pool, PoolInput } from "./types/pool.ts";
import type { Principal } from "./types/principal.ts";

/*
 * The registry seen by role: each controller, transport or test asks only for
 * the roles it uses (as Nomad's drainer takes a `RaftApplier` and a
 * `NodeTracker`, not the whole state store), so its options say what it reads
 * and writes, and a test double implements a handful of methods, not 36.
 */

/** Reads peers: one with its ETag, or a filtered page. */
export interface PeerReader {
  getPeer(principal: Principal, id: string): Promise<{ readonly peer: Peer; readonly etag: string }>;
  listPeers(principal: Principal, query?: PeerQuery): Promise<Page<Peer>>;
}

/** What a host's agent (or an operator) writes about a peer: identity, observed status, labels. */
export interface PeerWriter {
  /** Register or refresh a peer's identity (mesh.agent for itself, or mesh.operate). */
  registerPeer(principal: Principal, input: PeerRegistration, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** The agent's observed status; feeds `drained` / `fail` into the state machine. */
  reportStatus(principal: Principal, id: string, report: StatusReport, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** Labels / metadata merge patch; If-Match is required. */
  patchPeer(principal: Principal, id: string, patch: PeerPatch, options: MutationOptions): Promise<MutationOutcome<Peer>>;
}

/** Reads drains: one peer's progress, or every drain for a controller rebuilding after failover. */
export interface DrainReader {
  drainStatus(principal: Principal, id: string): Promise<DrainStatus>;
  /** Every peer with a drain request, for controllers rebuilding after failover. */
  drainRecords(): Promise<readonly DrainRecord[]>;
}

/** The maintenance verbs on a peer: cordon, drain, resume, and why a drain is stalled. */
export interface DrainWriter {
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
  /**
   * The leader persists a failed drain (mesh.operate): the roles still
   * draining in `epoch` become `failed` with `reason`, audited and streamed.
   * A drain already ended, or another epoch, changes nothing.
   */
  failDrain(principal: Principal, id: string, failure: DrainFailure, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
}

/** Which cluster is active. */
export interface ClusterAdmin {
  listClusters(principal: Principal): Promise<readonly Cluster[]>;
  promote(principal: Principal, clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
  /** Needs `confirm`; never demotes the last active cluster. */
  demote(principal: Principal, clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
}

/** The allow-listed runtime settings. */
export interface ConfigStore {
  getConfig(principal: Principal): Promise<RegistryConfig>;
  /** Allow-listed keys only; needs mesh.admin and `confirm`; `null` resets to the default. */
  patchConfig(principal: Principal, patch: Readonly<Record<string, unknown>>, options?: MutationOptions): Promise<MutationOutcome<RegistryConfig>>;
}

/**
 * Pools and their budgets, declared through the API (mesh.admin) and read by
 * every replica's capacity guard, drain scheduler and rollout planner.
 */
export interface PoolStore {
  listPools(principal: Principal): Promise<readonly Pool[]>;
  /** One pool with its ETag; `not-found` when it was never declared (or was deleted). */
  getPool(principal: Principal, name: string): Promise<{ readonly pool: Pool; readonly etag: string }>;
  /**
   * Declares or replaces pool `name` (mesh.admin). If-Match is honoured (`"0"`
   * only matches a pool not declared yet); bad bounds are `validation`.
   */
  putPool(principal: Principal, name: string, input: PoolInput, options?: MutationOptions): Promise<MutationOutcome<Pool>>;
  /** Removes pool `name` and its budgets (mesh.admin, needs `confirm`: its members lose their protection). */
  deletePool(principal: Principal, name: string, options?: MutationOptions): Promise<MutationOutcome<Pool>>;
  /** Every stored budget, as core's guard and planner take them (for the leader's controllers; no principal). */
  poolBudgets(): Promise<readonly PoolBudget[]>;
}

/** The tamper-evident audit log: query it, verify its chain, record a refusal made before a mutation. */
export interface AuditLog {
  queryAudit(principal: Principal, query?: AuditQuery): Promise<Page<AuditEntry>>;
  /** The chain head (seq, hash, time) and the checkpoint of the pruned prefix, if any (mesh.read). */
  auditHead(principal: Principal): Promise<AuditHeadView>;
  /**
   * The head as a checkpoint to keep outside the store, signed with the
   * registry's `auditSigner` when it has one (mesh.read).
   */
  auditCheckpoint(principal: Principal): Promise<AuditCheckpoint>;
  /** Walks the hash chain from genesis or the pruned prefix's checkpoint; names the first entry that does not match. */
  verifyAudit(): Promise<AuditVerification>;
  /**
   * Audits an attempt refused before it reached a mutation (401, 403, 400 at
   * the transport). Writes one entry with outcome "refused", with the
   * reason and ticket in `options`. Unauthenticated refusals past the
   * registry's `refusalLimit` are counted, not written (undefined), and
   * summed into one entry after the window.
   */
  recordRefusal(principal: Principal | undefined, action: AuditAction, target: string, error: { readonly code: string }, options?: MutationOptions): Promise<AuditEntry | undefined>;
}

/** Audit retention, run by the leader. */
export interface AuditPruner {
  /**
   * Removes the oldest entries `retention` lets go (never the head), up to 50
   * per call, and stores the checkpoint of the removed prefix (signed when
   * the registry has a key) in the same transaction. Needs mesh.admin.
   * Nothing due: no write and no audit entry. A broken prefix is refused
   * with `audit-chain-broken`.
   */
  pruneAudit(principal: Principal, retention: AuditRetention, options?: MutationOptions): Promise<MutationOutcome<AuditPrune>>;
}

/** Revision-ordered changes, history first, then live. */
export interface ChangeFeed {
  /** Revision-ordered changes after `fromRevision` (peers, clusters, config, pools, audit): history first, then live. */
  watch(fromRevision: number, onChange: (change: RegistryChange) => void, onError?: (error: Error) => void): { close(): void };
  /**
   * Like {@link watch}, plus `kind: "rollout"` (rolling upgrades), `kind: "move"`
   * (workload moves), `kind: "placement"` (a peer's placement changed) and
   * `kind: "approval"` (staged approvals) changes.
   */
  watchAll(fromRevision: number, onChange: (change: RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange) => void, onError?: (error: Error) => void): { close(): void };
}

/** Which workloads each peer holds, as its agent last reported them. */
export interface PlacementReader {
  /**
   * The workloads peer `id` holds, as last reported (mesh.read, or the peer's
   * own agent). `not-found` for an unknown peer; version 0 with no items when
   * its agent never reported placement.
   */
  getPlacement(principal: Principal, id: string): Promise<Placement>;
  /** Every reported placement (mesh.read), by peer id; peers that never reported have none. */
  listPlacements(principal: Principal): Promise<readonly Placement[]>;
}

/** Rolling upgrades: planned and steered by operators, stepped by the leader's runner. */
export interface RolloutStore {
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
}

/** Workload moves: planned by the leader, moved along by the agents at both ends. */
export interface MoveLedger {
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
}

/**
 * Staged approvals, the two-person rule: a destructive mass action (a cordon
 * or drain leaving much of a pool out, a forced one, a config edit, a demote,
 * a rollout abort) waits as a pending change until a second principal with
 * the scope it needs approves or rejects it. Off until config
 * `approvals.enabled` is true.
 */
export interface ApprovalStore {
  /**
   * Stages `change` when it needs approval (the pure `needsApproval` decides,
   * from config `approvals.*` and the peer's pools): writes a pending
   * approval, audited as `requestApproval`, and returns it. Returns
   * `undefined` when the change needs none (or cannot be made by this
   * principal at all): then call the verb itself, which refuses or applies it.
   *
   * @example
   * const staged = await registry.stageIfRequired(ops, { kind: "drain", peer: "web-3", input: { reason: "kernel" } }, { reason: "kernel" });
   * if (staged === undefined) await registry.drain(ops, "web-3", { reason: "kernel" });
   */
  stageIfRequired(principal: Principal, change: StagedChange, options?: MutationOptions): Promise<MutationOutcome<Approval> | undefined>;
  /** Approvals, newest first (mesh.read). */
  listApprovals(principal: Principal, query?: ApprovalQuery): Promise<readonly Approval[]>;
  /** One approval (mesh.read); `not-found` for an unknown id. */
  getApproval(principal: Principal, id: string): Promise<Approval>;
  /**
   * A second principal (holding the approval's `requiredScope`; never the
   * requester: `approval-self`) approves with a reason: the approval turns
   * `approved`, the change is applied as the requester under the
   * Idempotency-Key `approval/<id>` (so a retry, on any replica, applies it
   * at most once) and re-checked against the guard then; the approval ends
   * `applied`, or `failed` with the refusal, which is also thrown.
   */
  approveChange(principal: Principal, id: string, options?: MutationOptions): Promise<MutationOutcome<Approval>>;
  /** Rejects a pending change with a reason (the requester may withdraw its own). */
  rejectChange(principal: Principal, id: string, options?: MutationOptions): Promise<MutationOutcome<Approval>>;
  /**
   * Marks pending approvals past their `expiresAt` (on the registry's clock)
   * `expired` (mesh.operate; the leader runs it): at most 25 per call, one
   * audited transaction. Nothing due: nothing written, no audit entry.
   */
  expireApprovals(principal: Principal, options?: MutationOptions): Promise<MutationOutcome<ApprovalExpiry>>;
}

/** Deletes idempotency records that no longer count. */
export interface IdempotencySweeper {
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

/**
 * Peers, clusters and config with RBAC, idempotency, If-Match and a
 * tamper-evident audit log. Built by `createRegistry`. Every mutation,
 * allowed or refused, writes exactly one audit entry (a refusal in its own
 * transaction); a replay of an Idempotency-Key returns the stored outcome and
 * writes nothing. It is the sum of the role interfaces above: take only the
 * roles you use.
 *
 * @example
 * interface DeadlineOptions { readonly registry: PeerReader & DrainReader & ChangeFeed }
 * const options: DeadlineOptions = { registry: createRegistry({ store, clock }) };
 */
/**
 * Routers that send a peer traffic register on it and acknowledge each drain
 * once they took the peer out of rotation: the peer's agent then stops
 * waiting for its deregistration delay. mesh.operate, or a mesh.agent token
 * whose principal id is the router id.
 */
export interface RouterAcks {
  /** Registers `router` on peer `id` (a no-op when it is already). */
  registerRouter(principal: Principal, id: string, router: string, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** `router` took peer `id` out of rotation for drain `epoch` (registers it too); an older or repeated epoch is a no-op. */
  ackRouter(principal: Principal, id: string, router: string, input: { readonly epoch: number }, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** `router` no longer routes to peer `id` (it stopped): drains stop waiting for it. */
  releaseRouter(principal: Principal, id: string, router: string, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
}

export interface Registry
  extends PeerReader,
    PeerWriter,
    RouterAcks,
    DrainReader,
    DrainWriter,
    ClusterAdmin,
    ConfigStore,
    PoolStore,
    AuditLog,
    AuditPruner,
    ChangeFeed,
    PlacementReader,
    RolloutStore,
    MoveLedger,
    ApprovalStore,
    IdempotencySweeper {}

/** What one {@link Registry.sweepIdempotency} call did. */
export interface IdempotencySweep {
  /** Expired idempotency records deleted by this call. */
  readonly deleted: number;
  /** Expired records still due after this call (counted up to 1 000). */
  readonly remaining: number;
}
