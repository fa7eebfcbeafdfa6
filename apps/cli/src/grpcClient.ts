import { randomUUID } from "node:crypto";
import { ControlError, createControlClient, type ControlClient as TypedControlClient } from "@drainkit/grpc";
import { CliError, EXIT, ProblemError } from "./errors.ts";
import { backoff } from "@drainkit/client";
import { systemClock, systemRandom } from "@drainkit/core";
import { FEED_GIVE_UP_AFTER, FEED_RETRY, NOT_LEADER_RETRY, restRequired, type ApiResponse, type CallOptions, type ControlClient, type EventsOptions, type FeedEvent } from "./client.ts";
import { cliErrorFromGrpc } from "./grpcErrors.ts";

type Body = Record<string, unknown>;
type Method = "GET" | "POST" | "PUT" | "PATCH";
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
  { method: "POST", path: new RegExp(`^/control/peers/${ID}:cordon$`), handle: async (c, r) => outcome(await c.cordon(r.id, { ...without(r.body, "dryRun"), reason: String(r.body["reason"] ?? "") } as never, r.options)) },
  { method: "POST", path: new RegExp(`^/control/peers/${ID}:uncordon$`), handle: async (c, r) => outcome(await c.uncordon(r.id, without(r.body, ...COMMON), r.options)) },
  {
    method: "POST",
    path: new RegExp(`^/control/peers/${ID}:drain$`),
    handle: async (c, r) => {
      const o = await c.drain(r.id, { ...without(r.body, "confirm", "dryRun"), reason: String(r.body["reason"] ?? "") } as never, r.options);
      return { ...outcome(o), status: o.value.status === "draining" && r.options.dryRun !== true ? 202 : 200 };
    },
  },
  { method: "POST", path: new RegExp(`^/control/peers/${ID}:resume$`), handle: async (c, r) => outcome(await c.resume(r.id, without(r.body, "dryRun"), r.options)) },
  { method: "GET", path: /^\/control\/clusters$/, handle: async (c) => ({ body: { items: await c.listClusters() } }) },
  { method: "POST", path: new RegExp(`^/control/clusters/${ID}:promote$`), handle: async (c, r) => outcome(await c.promote(r.id, r.options)) },
  { method: "POST", path: new RegExp(`^/control/clusters/${ID}:demote$`), handle: async (c, r) => outcome(await c.demote(r.id, r.options)) },
  {
    method: "GET",
    path: /^\/control\/config$/,
    handle: async (c) => {
      const config = await c.getConfig();
      return { body: config, etag: `"${config.version}"` };
    },
  },
  { method: "PATCH", path: /^\/control\/config$/, handle: async (c, r) => outcome(await c.patchConfig((r.body["values"] ?? {}) as Body, r.options)) },
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
];

const outcome = (o: { readonly value: unknown; readonly etag: string }): Answer => ({ body: o.value, etag: o.etag });

/** What REST reads from the body and headers into the registry's MutationOptions. */
function mutationOptions(method: Method, body: Body, ifMatch: string | undefined): Request["options"] {
  return {
    ...(method === "GET" ? {} : { idempotencyKey: `drainctl-${randomUUID()}` }),
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

export interface GrpcConnection {
  /** `host:port` of `drainkit serve --grpc`. */
  readonly address: string;
  readonly token: string | undefined;
  /** The REST client for the verbs gRPC does not cover (rolling upgrades); without it they are a usage error. */
  readonly rest?: ControlClient;
}

/**
 * The control API over gRPC (`drainkit.control.v1`) behind drainctl's
 * transport-neutral {@link ControlClient}: each REST path becomes its RPC on
 * @drainkit/grpc's typed client, answers come back as the same resources,
 * failures as the same problems and exit codes, and the change feed is
 * WatchEvents, resumed from the last revision after a broken stream.
 *
 * @example
 * const api = new GrpcControlClient({ address: "127.0.0.1:7401", token });
 * const { body } = await api.call<DrainStatus>("POST", "/control/peers/web-1:drain", { body: { reason: "kernel" } });
 */
export class GrpcControlClient implements ControlClient {
  readonly server: string;
  readonly #address: string;
  readonly #client: TypedControlClient;
  readonly #rest: ControlClient | undefined;
  readonly #clock = systemClock();
  readonly #random = systemRandom();

  constructor(connection: GrpcConnection) {
    this.#address = connection.address;
    this.server = `grpc://${connection.address}`;
    this.#client = createControlClient(connection.address, connection.token === undefined ? {} : { token: connection.token });
    this.#rest = connection.rest;
  }

  async call<T>(method: Method, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const decoded = decodeURIComponent(path);
    const routed = ROUTES.flatMap((route) => {
      const m = route.method === method ? route.path.exec(decoded) : null;
      return m === null ? [] : [{ route, id: m[1] ?? "" }];
    })[0];
    if (routed === undefined) {
      if (this.#rest !== undefined) return this.#rest.call<T>(method, path, options);
      throw restRequired(path.startsWith("/control/upgrade") ? "drainctl rollout (rolling upgrades)" : `${method} ${path}`);
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
          throw restRequired("drainctl moves against this control plane (it predates the gRPC move RPCs; REST endpoint /control/moves)");
        }
        const mapped = cliErrorFromGrpc(e, this.#address);
        const retry = mapped instanceof ProblemError && mapped.status === 503 && attempt < 3;
        if (!retry) throw mapped;
        await backoff(attempt, NOT_LEADER_RETRY, { clock: this.#clock, random: this.#random, signal: options.signal });
      }
    }
  }

  async *events(options: EventsOptions): AsyncGenerator<FeedEvent> {
    if (options.kinds?.some((k) => !GRPC_KINDS.has(k))) {
      if (this.#rest !== undefined) return yield* this.#rest.events(options);
      throw restRequired(`The ${options.kinds.filter((k) => !GRPC_KINDS.has(k)).join(", ")} event feed`);
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
      if (code === "history-compacted") {
        throw new CliError("Event history lost", error?.message ?? "The server no longer holds the history to resume from.", EXIT.unavailable, "Run the command again to start from the current state.");
      }
      if (error !== undefined && !(typeof code === "string" && TRANSIENT.has(code))) throw cliErrorFromGrpc(error, this.#address);
      if (++failures > FEED_GIVE_UP_AFTER) {
        throw error !== undefined
          ? cliErrorFromGrpc(error, this.#address)
          : new CliError("Server unavailable", `The event stream from ${this.server} kept ending.`, EXIT.unavailable, "Check that `drainkit serve --grpc` is running, then run the command again.");
      }
      try {
        await backoff(failures, FEED_RETRY, { clock: this.#clock, random: this.#random, signal: options.signal });
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
