import * as grpc from "@grpc/grpc-js";
import type {
  AuditEntry,
  AuditQuery,
  Cluster,
  CordonInput,
  DrainInput,
  DrainStatus,
  MutationOptions,
  MutationOutcome,
  Page,
  Peer,
  PeerPatch,
  PeerQuery,
  PeerRegistration,
  RegistryChange,
  RegistryConfig,
  ResumeInput,
  StatusReport,
  UncordonInput,
} from "@drainkit/registry";
import {
  auditFromWire,
  changeFromWire,
  clusterFromWire,
  configFromWire,
  drainStatusFromWire,
  optionsToWire,
  outcomeFromWire,
  peerFromWire,
  placementToWire,
  type Wire,
} from "./convert.ts";
import { controlErrorFrom } from "./errors.ts";
import { controlServiceDefinition } from "./proto.ts";
import { toStruct } from "./struct.ts";

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

/** What {@link ControlClient.watchEvents} resumes from and filters on. */
export interface WatchEventsOptions {
  /** Changes after this revision; omitted: from now. After a broken stream, pass the last revision seen. */
  readonly fromRevision?: number;
  readonly kinds?: readonly RegistryChange["kind"][];
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
  cordon(id: string, input: CordonInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  uncordon(id: string, input?: UncordonInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  drain(id: string, input: DrainInput, options?: MutationOptions): Promise<MutationOutcome<DrainStatus>>;
  resume(id: string, input?: ResumeInput, options?: MutationOptions): Promise<MutationOutcome<Peer>>;
  /** Needs `ifMatch` (the ETag from `getPeer`). */
  patchPeer(id: string, patch: PeerPatch, options: MutationOptions): Promise<MutationOutcome<Peer>>;
  drainStatus(id: string): Promise<DrainStatus>;
  listClusters(): Promise<readonly Cluster[]>;
  promote(clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
  demote(clusterId: string, options?: MutationOptions): Promise<MutationOutcome<Cluster>>;
  getConfig(): Promise<RegistryConfig>;
  patchConfig(patch: Readonly<Record<string, unknown>>, options?: MutationOptions): Promise<MutationOutcome<RegistryConfig>>;
  queryAudit(query?: AuditQuery): Promise<Page<AuditEntry>>;
  /**
   * History after `fromRevision`, then live changes, until `close()`. `onEnd`
   * runs once when the stream ends for any other reason (a `ControlError`, e.g.
   * `unavailable` when the server drains): reconnect with the last revision seen.
   */
  watchEvents(options: WatchEventsOptions, onChange: (change: RegistryChange) => void, onEnd?: (error?: Error) => void): { close(): void };
  /** Closes the channel. */
  close(): void;
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

  const peerOutcome = async (method: string, request: Wire): Promise<MutationOutcome<Peer>> => {
    const r = await unary(method, request);
    return outcomeFromWire(peerFromWire((r["peer"] ?? {}) as Wire), r["outcome"] as Wire);
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
      return outcomeFromWire(drainStatusFromWire(r["status"] as Wire), r["outcome"] as Wire);
    },
    resume: (id, input = {}, opts = {}) =>
      peerOutcome("Resume", { id, options: { ...optionsToWire(opts), ...defined({ reason: input.reason ?? opts.reason, ticket: input.ticket ?? opts.ticket }) } }),
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
    async listClusters() {
      return ((await unary("ListClusters", {}))["items"] as Wire[]).map(clusterFromWire);
    },
    async promote(id, opts) {
      const r = await unary("Promote", { id, options: optionsToWire(opts) });
      return outcomeFromWire(clusterFromWire(r["cluster"] as Wire), r["outcome"] as Wire);
    },
    async demote(id, opts) {
      const r = await unary("Demote", { id, options: optionsToWire(opts) });
      return outcomeFromWire(clusterFromWire(r["cluster"] as Wire), r["outcome"] as Wire);
    },
    async getConfig() {
      return configFromWire(await unary("GetConfig", {}));
    },
    async patchConfig(patch, opts) {
      const r = await unary("PatchConfig", { values: toStruct(patch), options: optionsToWire(opts) });
      return outcomeFromWire(configFromWire(r["config"] as Wire), r["outcome"] as Wire);
    },
    async queryAudit(query = {}) {
      const r = await unary("ListAudit", defined({ ...query }));
      return { items: (r["items"] as Wire[]).map(auditFromWire), revision: r["revision"] as number, ...(typeof r["nextCursor"] === "string" ? { nextCursor: r["nextCursor"] } : {}) };
    },
    watchEvents(watch, onChange, onEnd) {
      const def = definition["WatchEvents"]!;
      const request = defined({ fromRevision: watch.fromRevision, kinds: watch.kinds === undefined ? undefined : [...watch.kinds] });
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
