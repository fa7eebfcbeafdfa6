// @ts-nocheck
import { ControlError, createControlClient, type ControlClient as TypedControlClient } from "@drainkit/grpc";
import { backoff, systemClock, systemRandom, type BackoffPolicy, type Clock, type Random } from "@drainkit/core";
import type { ApiResponse, CallOptions, ControlClient, EventsOptions, FeedEvent } from "../ControlClient.ts";
import { ControlPlaneError, HistoryLostError } from "../errors.ts";

type Body = Record<string, unknown>;
type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Query = NonNullable<CallOptions["query"]>;

/** What a route hands the typed client: the path's id, the request body and query, the REST-equivalent options. */
interface Request {
  readonly id: string;
  readonly body: Body;
  readonly query: Query;
  readonly options: { idempotencyKey?: string; ifMatch?: string; reason?: string; ticket?: string; confirm?: boolean; dryRun?: boolean };
}

interface Answer {
  readonly body: unknown;
  readonly etag?: string;
  readonly status?: number;
}

interface Route {
  readonly method: Method;
  /** Matched against the decoded path; group 1 is the id when there is one. */
  readonly path: RegExp;
  readonly handle: (client: TypedControlClient, r: Request) => Promise<Answer>;
}

const COMMON = ["reason", "ticket", "confirm", "dryRun"];
const without = (body: Body, ...keys: string[]): Body => Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)));
const strings = (q: Query, ...keys: string[]): Body => Object.fromEntries(keys.flatMap((k) => (q[k] === undefined ? [] : [[k, String(q[k])]])));
const numbers = (q: Query, ...keys: string[]): Body => Object.fromEntries(keys.flatMap((k) => (q[k] === undefined ? [] : [[k, Number(q[k])]])));
const ID = "([^/:]+)";

/**
 * Each REST route drainctl calls, as the RPC that does the same thing. Inputs
 * are split exactly as the REST handlers split them (reason, ticket, confirm
 * and dryRun go into the mutation options), so both transports reach the
 * registry with the same call and answer with the same resource.
 */
const ROUTES: readonly Route[] = [
  { method: "GET", path: /^\/control\/peers$/, handle: async (c, r) => ({ body: await c.listPeers({ ...strings(r.query, "role", "state", "label", "pool", "cursor"), ...numbers(r.query, "limit") }) }) },
  {
    method: "GET",
    path: new RegExp(`^/control/peers/${ID}$`),
    handle: async (c, r) => {
      const { peer, etag } = await c.getPeer(r.id);
      return { body: peer, etag };
    },
  },
  { method: "PATCH", path: new RegExp(`^/control/peers/${ID}$`), handle: async (c, r) => outcome(await c.patchPeer(r.id, without(r.body, ...COMMON), r.options)) },
  {
    method: "GET",
    path: new RegExp(`^/control/peers/${ID}/drain$`),
    handle: async (c, r) => {
      const status = await c.drainStatus(r.id);
      return { body: status, status: status.status === "draining" ? 202 : 200 };
    },
  },
  { method: "POST", path: new RegExp(`^/control/peers/${ID}:cordon$`), handle: async (c, r) => stagedOr(await c.cordon(r.id, { ...without(r.body, "dryRun"), reason: String(r.body["reason"] ?? "") } as never, r.options)) },
  { method: "POST", path: new RegExp(`^/control/peers/${ID}:uncordon$`), handle: async (c, r) => outcome(await c.uncordon(r.id, without(r.body, ...COMMON), r.options)) },
  {
    method: "POST",
    path: new RegExp(`^/control/peers/${ID}:drain$`),
    handle: async (c, r) => {
      const o = await c.drain(r.id, { ...without(r.body, "confirm", "dryRun"), reason: String(r.body["reason"] ?? "") } as never, r.options);
      if (o.pendingApproval !== undefined) return stagedOr(o);
      return { ...outcome(o), status: o.value.status === "draining" && r.options.dryRun !== true ? 202 : 200 };
    },
  },
  { method: "POST", path: new RegExp(`^/control/peers/${ID}:resume$`), handle: async (c, r) => outcome(await c.resume(r.id, without(r.body, "dryRun"), r.options)) },
  { method: "GET", path: /^\/control\/clusters$/, handle: async (c) => ({ body: { items: await c.listClusters() } }) },
  { method: "POST", path: new RegExp(`^/control/clusters/${ID}:promote$`), handle: async (c, r) => outcome(await c.promote(r.id, r.options)) },
  { method: "POST", path: new RegExp(`^/control/clusters/${ID}:demote$`), handle: async (c, r) => stagedOr(await c.demote(r.id, r.options)) },
  {
    method: "GET",
    path: /^\/control\/config$/,
    handle: async (c) => {
      const config = await c.getConfig();
      return { body: config, etag: `"${config.version}"` };
    },
  },
  { method: "PATCH", path: /^\/control\/config$/, handle: async (c, r) => stagedOr(await c.patchConfig((r.body["values"] ?? {}) as Body, r.options)) },
  { method: "GET", path: /^\/control\/approvals$/, handle: async (c, r) => ({ body: { items: await c.listApprovals(strings(r.query, "state")) } }) },
  {
    method: "GET",
    path: new RegExp(`^/control/approvals/${ID}$`),
    handle: async (c, r) => {
      const approval = await c.getApproval(r.id);
      return { body: approval, etag: `"${approval.version}"` };
    },
  },
  { method: "POST", path: new RegExp(`^/control/approvals/${ID}:approve$`), handle: async (c, r) => outcome(await c.approveChange(r.id, r.options)) },
  { method: "POST", path: new RegExp(`^/control/approvals/${ID}:reject$`), handle: async (c, r) => outcome(await c.rejectChange(r.id, r.options)) },
  { method: "GET", path: /^\/control\/pools$/, handle: async (c) => ({ body: { items: await c.listPools() } }) },
  {
    method: "GET",
    path: new RegExp(`^/control/pools/${ID}$`),
    handle: async (c, r) => {
      const { pool, etag } = await c.getPool(r.id);
      return { body: pool, etag };
    },
  },
  { method: "PUT", path: new RegExp(`^/control/pools/${ID}$`), handle: async (c, r) => outcome(await c.putPool(r.id, without(r.body, ...COMMON) as never, r.options)) },
  { method: "DELETE", path: new RegExp(`^/control/pools/${ID}$`), handle: async (c, r) => outcome(await c.deletePool(r.id, r.options)) },
  {
    method: "GET",
    path: /^\/control\/moves$/,
    handle: async (c, r) => {
      const active = r.query["active"];
      const query = { ...strings(r.query, "peer", "state"), ...(active === undefined ? {} : { active: String(active) === "true" }) };
      return { body: { items: await c.listMoves(query) } };
    },
  },
  {
    method: "GET",
    path: /^\/control\/audit$/,
    handle: async (c, r) => ({ body: await c.queryAudit({ ...strings(r.query, "target", "actor", "action", "outcome", "cursor"), ...numbers(r.query, "from", "to", "limit") }) }),
  },
  { method: "GET", path: /^\/control\/audit\/head$/, handle: async (c) => ({ body: await c.auditHead() }) },
  { method: "GET", path: /^\/control\/audit\/checkpoint$/, handle: async (c) => ({ body: await c.auditCheckpoint() }) },
];

const outcome = (o: { readonly value: unknown; readonly etag: string }): Answer => ({ body: o.value, etag: o.etag });
/** A verb the server staged for approval answers as REST does: 202 with the approval. */
const stagedOr = (o: { readonly value: unknown; readonly etag: string; readonly pendingApproval?: unknown }): Answer =>
  o.pendingApproval === undefined ? outcome(o) : { body: o.pendingApproval, status: 202 };

/** What REST reads from the body and headers into the registry's MutationOptions. */
function mutationOptions(method: Method, body: Body, ifMatch: string | undefined): Request["options"] {
  return {
    ...(method === "GET" ? {} : { idempotencyKey: `drainctl-${globalThis.crypto.randomUUID()}` }),
    ...(ifMatch === undefined ? {} : { ifMatch }),
    ...(typeof body["reason"] === "string" ? { reason: body["reason"] } : {}),
    ...(typeof body["ticket"] === "string" ? { ticket: body["ticket"] } : {}),
    ...(body["confirm"] === true ? { confirm: true } : {}),
    ...(body["dryRun"] === true ? { dryRun: true } : {}),
  };
}

/** Change kinds WatchEvents carries; rolling-upgrade events are REST only. */
const GRPC_KINDS = new Set(["peer", "cluster", "config", "audit", "move"]);
/** Failures a watch recovers from by reconnecting from the last revision seen. */
const TRANSIENT = new Set(["unavailable", "draining", "not-leader", "store-unavailable", "deadline-exceeded"]);

/**
 * How the transport reports its failures, so a caller (drainctl) can raise
 * its own error types; by default {@link ControlPlaneError} and
 * {@link HistoryLostError}.
 */
export interface GrpcErrorMapping {
  /** A failed RPC (a `ControlError` of @drainkit/grpc, or a transport error). Whatever it returns with `status: 503` is retried. */
  fromGrpc(error: unknown, address: string): unknown;
  /** A call or feed only the REST API serves, asked of a transport without a REST fallback. */
  restRequired(what: string): unknown;
  /** The feed cannot resume from the last revision. */
  historyLost(message: string): unknown;
  /** The feed kept ending. */
  unavailable(message: string): unknown;
}

const defaultErrors: GrpcErrorMapping = {
  fromGrpc: (error, address) => {
    // gRPC carries no HTTP status; a retryable refusal is what REST answers with 503 (not the leader, draining), the rest stay 0.
    if (error instanceof ControlError) return new ControlPlaneError(error.retryable ? 503 : 0, error.code, error.message, { retryable: error.retryable, details: { ...error.details }, cause: error });
    return new ControlPlaneError(0, "unreachable", `gRPC ${address}: ${error instanceof Error ? error.message : String(error)}`, { retryable: true, cause: error });
  },
  restRequired: (what) => new ControlPlaneError(0, "rest-required", `${what} needs the REST API; the gRPC API (drainkit.control.v1) covers peers, clusters, config, audit, workload moves and events.`, { retryable: false }),
  historyLost: (message) => new HistoryLostError(message),
  unavailable: (message) => new ControlPlaneError(0, "unreachable", message, { retryable: true }),
};

export interface GrpcConnection {
  /** `host:port` of `drainkit serve --grpc`. */
  readonly address: string;
  readonly token: string | undefined;
  /** The REST transport for what gRPC does not cover (rolling upgrades); without it those are {@link GrpcErrorMapping.restRequired}. */
  readonly rest?: ControlClient;
  readonly errors?: GrpcErrorMapping;
  readonly clock?: Clock;
  readonly random?: Random;
  /** A 503 (not the leader, draining) is asked again twice; default 250 ms then 500 ms, jittered. */
  readonly retry?: BackoffPolicy;
  /** Waits between broken feeds; default 500 ms doubling to 4 s, giving up after `feedGiveUpAfter` (5) in a row. */
  readonly feedRetry?: BackoffPolicy;
  readonly feedGiveUpAfter?: number;
}

/**
 * The control API over gRPC (`drainkit.control.v1`) behind the
 * transport-neutral {@link ControlClient}: each REST path becomes its RPC on
 * @drainkit/grpc's typed client, answers come back as the same resources,
 * and the change feed is WatchEvents, resumed from the last revision after
 * a broken stream. Node only (it loads @grpc/grpc-js, an optional peer
 * dependency), hence its own subpath.
 *
 * @example
 * import { GrpcControlClient } from "@drainkit/client/grpc";
 * const api = new GrpcControlClient({ address: "127.0.0.1:7401", token });
 * const { body } = await api.call<DrainStatus>("POST", "/control/peers/web-1:drain", { body: { reason: "kernel" } });
 */
export class GrpcControlClient implements ControlClient {
  readonly server: string;
  readonly #address: string;
  readonly #client: TypedControlClient;
  readonly #rest: ControlClient | undefined;
  readonly #errors: GrpcErrorMapping;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #retry: BackoffPolicy;
  readonly #feedRetry: BackoffPolicy;
  readonly #feedGiveUpAfter: number;

  constructor(connection: GrpcConnection) {
    this.#address = connection.address;
    this.server = `grpc://${connection.address}`;
    this.#client = createControlClient(connection.address, connection.token === undefined ? {} : { token: connection.token });
    this.#rest = connection.rest;
    this.#errors = connection.errors ?? defaultErrors;
    this.#clock = connection.clock ?? systemClock();
    this.#random = connection.random ?? systemRandom();
    this.#retry = connection.retry ?? { initialMs: 250, maxMs: 500 };
    this.#feedRetry = connection.feedRetry ?? { initialMs: 500, maxMs: 4_000 };
    this.#feedGiveUpAfter = connection.feedGiveUpAfter ?? 5;
  }

  async call<T>(method: Method, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const decoded = decodeURIComponent(path);
    const routed = ROUTES.flatMap((route) => {
      const m = route.method === method ? route.path.exec(decoded) : null;
      return m === null ? [] : [{ route, id: m[1] ?? "" }];
    })[0];
    if (routed === undefined) {
      if (this.#rest !== undefined) return this.#rest.call<T>(method, path, options);
      throw this.#errors.restRequired(path.startsWith("/control/upgrade") ? "drainctl rollout (rolling upgrades)" : `${method} ${path}`);
    }
    const body = (options.body ?? {}) as Body;
    const request: Request = { id: routed.id, body, query: options.query ?? {}, options: mutationOptions(method, body, options.ifMatch) };
    // Another replica answers a not-leader / draining refusal; the idempotency key makes the retry safe, as over REST.
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await routed.route.handle(this.#client, request);
        return { status: answer.status ?? 200, etag: answer.etag, body: answer.body as T, headers: {} };
      } catch (e) {
        // A control plane from before the move RPCs: its REST API has them, so use it, or say it is needed.
        if (e instanceof ControlError && e.code === "unimplemented" && decoded.startsWith("/control/moves")) {
          if (this.#rest !== undefined) return this.#rest.call<T>(method, path, options);
          throw this.#errors.restRequired("drainctl moves against this control plane (it predates the gRPC move RPCs; REST endpoint /control/moves)");
        }
        const mapped = this.#errors.fromGrpc(e, this.#address);
        const retry = (mapped as { status?: unknown } | undefined)?.status === 503 && attempt < 3;
        if (!retry) throw mapped;
        await backoff(attempt, this.#retry, { clock: this.#clock, random: this.#random, signal: options.signal });
      }
    }
  }

  async *events(options: EventsOptions): AsyncGenerator<FeedEvent> {
    if (options.kinds?.some((k) => !GRPC_KINDS.has(k))) {
      if (this.#rest !== undefined) return yield* this.#rest.events(options);
      throw this.#errors.restRequired(`The ${options.kinds.filter((k) => !GRPC_KINDS.has(k)).join(", ")} event feed`);
    }
    const kinds = options.kinds as readonly ("peer" | "cluster" | "config" | "audit" | "move")[] | undefined;
    let last = options.since;
    let failures = 0;
    while (!options.signal.aborted) {
      const stream: { queue: FeedEvent[]; ended?: { error?: Error }; wake?: () => void } = { queue: [] };
      const notify = (): void => {
        stream.wake?.();
        delete stream.wake;
      };
      const watch = this.#client.watchEvents(
        { ...(last === undefined ? {} : { fromRevision: last }), ...(kinds === undefined ? {} : { kinds }), ...(options.peer === undefined ? {} : { peer: options.peer }) },
        (change) => {
          stream.queue.push({ id: change.revision, event: change.kind, data: change });
          notify();
        },
        (error) => {
          stream.ended = error === undefined ? {} : { error };
          notify();
        },
      );
      options.signal.addEventListener("abort", notify, { once: true });
      try {
        for (;;) {
          const next = stream.queue.shift();
          if (next !== undefined) {
            last = next.id;
            failures = 0;
            yield next;
            continue;
          }
          if (options.signal.aborted || stream.ended !== undefined) break;
          await new Promise<void>((r) => (stream.wake = r));
        }
      } finally {
        watch.close();
        options.signal.removeEventListener("abort", notify);
      }
      if (options.signal.aborted) return;
      const error = stream.ended?.error;
      const code = (error as { code?: unknown } | undefined)?.code;
      if (code === "history-compacted") throw this.#errors.historyLost(error?.message ?? "The server no longer holds the history to resume from.");
      if (error !== undefined && !(typeof code === "string" && TRANSIENT.has(code))) throw this.#errors.fromGrpc(error, this.#address);
      if (++failures > this.#feedGiveUpAfter) {
        throw error !== undefined ? this.#errors.fromGrpc(error, this.#address) : this.#errors.unavailable(`The event stream from ${this.server} kept ending.`);
      }
      try {
        await backoff(failures, this.#feedRetry, { clock: this.#clock, random: this.#random, signal: options.signal });
      } catch {
        return;
      }
    }
  }

  /** Closes the channel; a finished command should not wait for it. */
  close(): void {
    this.#client.close();
  }
}
