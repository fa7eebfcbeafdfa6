// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditHeadView,
  AuditQuery,
  Cluster,
  CordonInput,
  DrainInput,
  DrainStatus,
  Placement,
  MovePlan,
  MoveQuery,
  MoveReport,
  MutationOptions,
  MutationOutcome,
  Page,
  Peer,
  PeerPatch,
  PeerQuery,
  PeerRegistration,
  Pool,
  PoolInput,
  RegistryConfig,
  ResumeInput,
  Rollout,
  RolloutStartInput,
  StatusReport,
  UncordonInput,
  WorkloadMove,
} from "@drainkit/registry";
import {
  auditFromWire,
  auditHeadFromWire,
  changeFromWire,
  checkpointFromWire,
  clusterFromWire,
  configFromWire,
  drainStatusFromWire,
  moveFromWire,
  optionsToWire,
  outcomeFromWire,
  peerFromWire,
  peerPlacementFromWire,
  placementToWire,
  type WatchEventsChange,
  type Wire,
} from "./convert.ts";
import { approvalFromWire, type WireApproval } from "./approvalWire.ts";
import { poolFromWire, poolInputToWire } from "./poolWire.ts";
import { controlErrorFrom } from "./errors.ts";
import { controlServiceDefinition } from "./proto.ts";
import { fromStruct, toStruct, type WireStruct } from "./struct.ts";

/** Options of {@link createControlClient}. */
export interface ControlClientOptions {
  /** Bearer token sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
  /** Default: insecure (plain TCP), for 127.0.0.1 and tests. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Per-call deadline in ms; default 30 000. Watches have none. */
  readonly deadlineMs?: number;
  readonly channelOptions?: grpc.ChannelOptions;
}

export type { WatchEventsChange } from "./convert.ts";

/** What {@link ControlClient.watchEvents} resumes from and filters on. */
export interface WatchEventsOptions {
  /** Changes after this revision; omitted: from now. After a broken stream, pass the last revision seen. */
  readonly fromRevision?: number;
  /** Omitted or empty: every kind (rolling-upgrade changes are REST only). */
  readonly kinds?: readonly WatchEventsChange["kind"][];
  /**
   * Only this peer's changes and the moves from or to it (other kinds
   * unchanged), as REST's `?peer=`. An agent may only name its own peer
   * (`forbidden` otherwise) and always receives only its own moves.
   */
  readonly peer?: string;
}

/**
 * The outcome of a verb that may wait for a second principal's approval: with
 * `pendingApproval` set, nothing changed yet (`value` is the resource as it
 * stands) and the approval says who must approve it (`next`).
 */
export type StagedOutcome<T> = MutationOutcome<T> & { readonly pendingApproval?: WireApproval };

export type { WireApproval } from "./approvalWire.ts";

/** What {@link ControlClient.pruneMoves} did. */
export interface PruneMovesResult {
  readonly deleted: number;
  /** How many more are due (at most 25 go per call): call again. */
  readonly remaining: number;
}

/**
 * The control API over gRPC, with the registry's own types: the same calls
 * as `Registry`, minus the principal (the token is the principal). Failures
 * reject with `ControlError`, whose `code` is the REST problem type's code.
 */
export interface ControlClient {
  listPeers(query?: PeerQuery): Promise<Page<Peer>>;
  getPeer(id: string): Promise<{ readonly peer: Peer; readonly etag: string }>;
  registerPeer(input: PeerRegistration, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  reportStatus(id: string, report: StatusReport, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  cordon(id: string, input: CordonInput, options?: MutationOptions): Promise<StagedOutcome<Peer>>;
  uncordon(id: string, input?: UncordonInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  drain(id: string, input: DrainInput, options?: MutationOptions): Promise<StagedOutcome<DrainStatus>>;
  resume(id: string, input?: ResumeInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** Needs `ifMatch` (the ETag from `getPeer`). */
  patchPeer(id: string, patch: PeerPatch, options: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** Registers `router` on peer `id`: its drains then wait for the router's acknowledgement. */
  registerRouter(id: string, router: string, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** `router` took peer `id` out of rotation for drain `epoch`. */
  ackRouter(id: string, router: string, input: { readonly epoch: number }, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** `router` no longer sends peer `id` traffic. */
  releaseRouter(id: string, router: string, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  drainStatus(id: string): Promise<DrainStatus>;
  /** The workloads peer `id` holds, as its agent last reported them (version 0 when never reported). */
  getPlacement(id: string): Promise<Placement>;
  listClusters(): Promise<readonly Cluster[]>;
  promote(clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
  demote(clusterId: string, options?: MutationOptions): Promise<StagedOutcome<Cluster>>;
  getConfig(): Promise<RegistryConfig>;
  patchConfig(patch: Readonly<Record<string, unknown>>, options?: MutationOptions): Promise<StagedOutcome<RegistryConfig>>;
  /** Staged changes, newest first (mesh.read). */
  listApprovals(query?: { readonly state?: string }): Promise<readonly WireApproval[]>;
  getApproval(id: string): Promise<WireApproval>;
  /** A second principal approves (reason in `options.reason`, required): the change is applied once, or the refusal rejects this call. */
  approveChange(id: string, options: MutationOptions): Promise<MutationOutcome<WireApproval>>;
  /** Rejects a staged change (reason required; the requester may withdraw its own). */
  rejectChange(id: string, options: MutationOptions): Promise<MutationOutcome<WireApproval>>;
  listPools(): Promise<readonly Pool[]>;
  getPool(name: string): Promise<{ readonly pool: Pool; readonly etag: string }>;
  /** Declares or replaces pool `name` (mesh.admin); `ifMatch: '"0"'` writes it only while it does not exist. */
  putPool(name: string, input: PoolInput, options?: MutationOptions): Promise<MutationOutcome<Pool>>;
  /** Removes pool `name` (mesh.admin, `confirm`). */
  deletePool(name: string, options?: MutationOptions): Promise<MutationOutcome<Pool>>;
  queryAudit(query?: AuditQuery): Promise<Page<AuditEntry>>;
  /** The audit chain's head, and the checkpoint of the pruned prefix if retention pruned one. */
  auditHead(): Promise<AuditHeadView>;
  /** The head as a checkpoint to keep outside the store (signed when the server has a key). */
  auditCheckpoint(): Promise<AuditCheckpoint>;
  /** Workload moves, oldest first; an agent sees only the moves from or to its own peer. */
  listMoves(query?: MoveQuery): Promise<readonly WorkloadMove[]>;
  /** Records a move in state `starting` (mesh.operate); the same id with another plan is `move-plan-conflict`. */
  planMove(plan: MovePlan, options?: MutationOptions): Promise<MutationOutcome<WorkloadMove>>;
  /**
   * `serving` / `failed` (the destination's agent), `done` (the source's
   * agent), any with mesh.operate; off the legal arrows, `move-state-conflict`.
   * `report.reason` (required with `failed`) is the audit reason too unless
   * `options.reason` is set. `options.ifMatch` takes the move's ETag `"<generation>"`.
   */
  reportMove(id: string, report: MoveReport, options?: MutationOptions): Promise<MutationOutcome<WorkloadMove>>;
  /** Deletes done and failed moves last written before `before` (epoch ms; mesh.operate), at most 25 per call. */
  pruneMoves(input: { readonly before: number }, options?: MutationOptions): Promise<MutationOutcome<PruneMovesResult>>;
  /**
   * Starts a rolling upgrade (mesh.operate; `options.dryRun` plans only), as
   * `POST /control/upgrade/drain`. `verify: false` starts an unverified one:
   * the answer's `warnings` say so.
   */
  startRollout(input: RolloutStartInput, options?: MutationOptions): Promise<MutationOutcome<Rollout>>;
  /** The rollout `id`, or the latest one. */
  getRollout(id?: string): Promise<Rollout>;
  /**
   * History after `fromRevision`, then live changes, until `close()`. `onEnd`
   * runs once when the stream ends for any other reason (a `ControlError`, e.g.
   * `unavailable` when the server drains): reconnect with the last revision seen.
   */
  watchEvents(options: WatchEventsOptions, onChange: (change: WatchEventsChange) => void, onEnd?: (error?: Error) => void): { close(): void };
  /** Closes the channel. */
  close(): void;
}

/** Adds `pendingApproval` when the server staged the change. */
function staged<T>(o: MutationOutcome<T>, r: Wire): StagedOutcome<T> {
  const pending = r["pendingApproval"];
  return pending === undefined || pending === null ? o : { ...o, pendingApproval: approvalFromWire(pending as Wire) };
}

const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * A typed client of `drainkit.control.v1.Control`.
 *
 * @example
 * const client = createControlClient("127.0.0.1:7401", { token: process.env.DRAINKIT_TOKEN });
 * const { value, etag } = await client.drain("web-1", { reason: "kernel upgrade" }, { idempotencyKey: "chg-42" });
 * console.log(value.status, etag); // draining "2"
 * client.close();
 */
export function createControlClient(address: string, options: ControlClientOptions = {}): ControlClient {
  const client = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure(), options.channelOptions ?? {});
  const definition = controlServiceDefinition();
  const deadlineMs = options.deadlineMs ?? 30_000;

  const metadata = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    if (options.token !== undefined) m.set("authorization", `Bearer ${options.token}`);
    return m;
  };

  const unary = (method: string, request: Wire): Promise<Wire> => {
    const def = definition[method]!;
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest<Wire, Wire>(
        def.path,
        def.requestSerialize as (v: Wire) => Buffer,
        def.responseDeserialize as (b: Buffer) => Wire,
        request,
        metadata(),
        { deadline: Date.now() + deadlineMs },
        (error, response) => (error ? reject(controlErrorFrom(error)) : resolve(response ?? {})),
      );
    });
  };

  const peerOutcome = async (method: string, request: Wire): Promise<StagedOutcome<Peer>> => {
    const r = await unary(method, request);
    return staged(outcomeFromWire(peerFromWire((r["peer"] ?? {}) as Wire), r["outcome"] as Wire), r);
  };

  return {
    async listPeers(query = {}) {
      const r = await unary("ListPeers", defined({ ...query }));
      return { items: (r["items"] as Wire[]).map(peerFromWire), revision: r["revision"] as number, ...(typeof r["nextCursor"] === "string" ? { nextCursor: r["nextCursor"] } : {}) };
    },
    async getPeer(id) {
      const r = await unary("GetPeer", { id });
      return { peer: peerFromWire(r["peer"] as Wire), etag: r["etag"] as string };
    },
    registerPeer: (input, opts) =>
      peerOutcome("RegisterPeer", defined({ ...input, metadata: toStruct(input.metadata ?? {}), options: optionsToWire(opts) })),
    reportStatus: (id, { placement, ...report }, opts) =>
      peerOutcome("ReportStatus", defined({ id, ...report, ...(placement === undefined ? {} : { placement: placementToWire(placement) }), options: optionsToWire(opts) })),
    cordon: (id, input, opts) => peerOutcome("Cordon", defined({ id, ...input, options: optionsToWire(opts) })),
    uncordon: (id, input = {}, opts) => peerOutcome("Uncordon", defined({ id, ...input, options: optionsToWire(opts) })),
    async drain(id, input, opts) {
      const r = await unary("Drain", defined({ id, ...input, options: optionsToWire(opts) }));
      return staged(outcomeFromWire(drainStatusFromWire(r["status"] as Wire), r["outcome"] as Wire), r);
    },
    resume: (id, input = {}, opts = {}) =>
      peerOutcome("Resume", { id, options: { ...optionsToWire(opts), ...defined({ reason: input.reason ?? opts.reason, ticket: input.ticket ?? opts.ticket }) } }),
    registerRouter: (id, router, opts) => peerOutcome("RegisterRouter", { id, router, options: optionsToWire(opts) }),
    ackRouter: (id, router, input, opts) => peerOutcome("AckRouter", { id, router, epoch: input.epoch, options: optionsToWire(opts) }),
    releaseRouter: (id, router, opts) => peerOutcome("ReleaseRouter", { id, router, options: optionsToWire(opts) }),
    patchPeer: (id, patch, opts) =>
      peerOutcome("PatchPeer", defined({
        id,
        labels: patch.labels === undefined ? undefined : toStruct(patch.labels),
        metadata: patch.metadata === undefined ? undefined : toStruct(patch.metadata),
        options: optionsToWire(opts),
      })),
    async drainStatus(id) {
      return drainStatusFromWire(await unary("GetDrainStatus", { id }));
    },
    async getPlacement(id) {
      return peerPlacementFromWire(await unary("GetPlacement", { id }));
    },
    async listClusters() {
      return ((await unary("ListClusters", {}))["items"] as Wire[]).map(clusterFromWire);
    },
    async promote(id, opts) {
      const r = await unary("Promote", { id, options: optionsToWire(opts) });
      return outcomeFromWire(clusterFromWire(r["cluster"] as Wire), r["outcome"] as Wire);
    },
    async demote(id, opts) {
      const r = await unary("Demote", { id, options: optionsToWire(opts) });
      return staged(outcomeFromWire(clusterFromWire(r["cluster"] as Wire), r["outcome"] as Wire), r);
    },
    async getConfig() {
      return configFromWire(await unary("GetConfig", {}));
    },
    async patchConfig(patch, opts) {
      const r = await unary("PatchConfig", { values: toStruct(patch), options: optionsToWire(opts) });
      return staged(outcomeFromWire(configFromWire(r["config"] as Wire), r["outcome"] as Wire), r);
    },
    async listApprovals(query = {}) {
      return ((await unary("ListApprovals", defined({ ...query })))["items"] as Wire[]).map(approvalFromWire);
    },
    async getApproval(id) {
      return approvalFromWire(await unary("GetApproval", { id }));
    },
    async approveChange(id, opts) {
      const r = await unary("ApproveChange", defined({ id, reason: opts.reason, options: optionsToWire(opts) }));
      return outcomeFromWire(approvalFromWire(r["approval"] as Wire), r["outcome"] as Wire);
    },
    async rejectChange(id, opts) {
      const r = await unary("RejectChange", defined({ id, reason: opts.reason, options: optionsToWire(opts) }));
      return outcomeFromWire(approvalFromWire(r["approval"] as Wire), r["outcome"] as Wire);
    },
    async listPools() {
      return ((await unary("ListPools", {}))["items"] as Wire[]).map(poolFromWire);
    },
    async getPool(name) {
      const pool = poolFromWire(await unary("GetPool", { name }));
      return { pool, etag: `"${pool.version}"` };
    },
    async putPool(name, input, opts) {
      const r = await unary("PutPool", { name, ...poolInputToWire(input), options: optionsToWire(opts) });
      return outcomeFromWire(poolFromWire(r["pool"] as Wire), r["outcome"] as Wire);
    },
    async deletePool(name, opts) {
      const r = await unary("DeletePool", { name, options: optionsToWire(opts) });
      return outcomeFromWire(poolFromWire(r["pool"] as Wire), r["outcome"] as Wire);
    },
    async queryAudit(query = {}) {
      const r = await unary("ListAudit", defined({ ...query }));
      return { items: (r["items"] as Wire[]).map(auditFromWire), revision: r["revision"] as number, ...(typeof r["nextCursor"] === "string" ? { nextCursor: r["nextCursor"] } : {}) };
    },
    async auditHead() {
      return auditHeadFromWire(await unary("GetAuditHead", {}));
    },
    async auditCheckpoint() {
      return checkpointFromWire(await unary("GetAuditCheckpoint", {}));
    },
    async listMoves(query = {}) {
      return ((await unary("ListMoves", defined({ ...query })))["items"] as Wire[]).map(moveFromWire);
    },
    async planMove(plan, opts) {
      const r = await unary("PlanMove", defined({ ...plan, options: optionsToWire(opts) }));
      return outcomeFromWire(moveFromWire(r["move"] as Wire), r["outcome"] as Wire);
    },
    async reportMove(id, report, opts) {
      const r = await unary("ReportMove", defined({ id, state: report.state, reason: report.reason, options: optionsToWire(opts) }));
      return outcomeFromWire(moveFromWire(r["move"] as Wire), r["outcome"] as Wire);
    },
    async pruneMoves(input, opts) {
      const r = await unary("PruneMoves", { before: input.before, options: optionsToWire(opts) });
      return outcomeFromWire({ deleted: r["deleted"] as number, remaining: r["remaining"] as number }, r["outcome"] as Wire);
    },
    async startRollout(input, opts) {
      const { selector = {}, ...rest } = input;
      const r = await unary("StartRollout", defined({ ...rest, ...selector, nodes: selector.nodes === undefined ? undefined : [...selector.nodes], options: optionsToWire(opts) }));
      return outcomeFromWire(rolloutFromWire(r["rollout"] as Wire), r["outcome"] as Wire);
    },
    async getRollout(id) {
      return rolloutFromWire(await unary("GetRollout", defined({ id })));
    },
    watchEvents(watch, onChange, onEnd) {
      const def = definition["WatchEvents"]!;
      const request = defined({ fromRevision: watch.fromRevision, kinds: watch.kinds === undefined ? undefined : [...watch.kinds], peer: watch.peer });
      const stream = client.makeServerStreamRequest<Wire, Wire>(
        def.path,
        def.requestSerialize as (v: Wire) => Buffer,
        def.responseDeserialize as (b: Buffer) => Wire,
        request,
        metadata(),
        {},
      );
      let closed = false;
      let ended = false;
      const finish = (error?: Error): void => {
        if (ended) return;
        ended = true;
        if (!closed) onEnd?.(error);
      };
      stream.on("data", (w: Wire) => {
        if (!closed) onChange(changeFromWire(w));
      });
      stream.on("error", (e: grpc.ServiceError) => finish(e.code === grpc.status.CANCELLED && closed ? undefined : controlErrorFrom(e)));
      stream.on("end", () => finish());
      return {
        close() {
          closed = true;
          stream.cancel();
        },
      };
    },
    close: () => client.close(),
  };
}

/** The whole rollout travels as a Struct (its shape is REST's). */
function rolloutFromWire(w: Wire): Rollout {
  return fromStruct(w["body"] as WireStruct | null) as unknown as Rollout;
}
