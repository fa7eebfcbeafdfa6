import { randomUUID } from "node:crypto";
import { request, type Dispatcher } from "undici";
import { CliError, EXIT, ProblemError, type Problem } from "./errors.ts";
import type { Connection } from "./contexts.ts";

/** An answer of the control API: status, the ETag when sent, the parsed body. */
export interface ApiResponse<T> {
  readonly status: number;
  readonly etag: string | undefined;
  readonly body: T;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface CallOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly ifMatch?: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** One Server-Sent Event of `/control/events`. */
export interface FeedEvent {
  readonly id: number | undefined;
  readonly event: string;
  readonly data: unknown;
}

/**
 * The control API as drainctl's verbs use it, whatever carries it: a call is
 * named by its REST resource path (`POST /control/peers/web-1:drain`), and the
 * change feed is one async stream. {@link RestControlClient} sends the path as
 * HTTP; `GrpcControlClient` (`grpcClient.ts`) turns it into the matching
 * `drainkit.control.v1` RPC. Commands hold this type and never branch on the transport.
 *
 * @example
 * const { body } = await session.client.call<{ items: Peer[] }>("GET", "/control/peers", { query: { pool: "web" } });
 */
export interface ControlClient {
  /** Where the answers come from, for messages: the REST URL or `grpc://host:port`. */
  readonly server: string;
  call<T>(method: "GET" | "POST" | "PUT" | "PATCH", path: string, options?: CallOptions): Promise<ApiResponse<T>>;
  /** The change feed from `since` (exclusive), resumed across reconnects, until `signal` aborts. */
  events(options: EventsOptions): AsyncGenerator<FeedEvent>;
}

/** Which part of the change feed to follow. */
export interface EventsOptions {
  /** Kinds to receive (`peer`, `cluster`, `config`, `audit`, `rollout`, `move`); all by default. */
  readonly kinds?: readonly string[];
  /** Only this peer's changes and the moves from or to it (other kinds unchanged). */
  readonly peer?: string;
  readonly since?: number;
  readonly signal: AbortSignal;
}

/** A verb of the REST API only (rolling upgrades, a host's own endpoints) run with `--grpc` and no `--server`. */
export function restRequired(what: string): CliError {
  return new CliError(
    "REST API required",
    `${what} needs the REST API; the gRPC API (drainkit.control.v1) covers peers, clusters, config, audit, workload moves and events (not rolling upgrades).`,
    EXIT.usage,
    "Pass --server <url> (or DRAINCTL_SERVER, or a context's server) as well as --grpc.",
  );
}

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function unreachable(server: string, e: unknown): CliError {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return new CliError("Server unavailable", `Could not reach ${server}: ${why}.`, EXIT.unavailable, "Check --server (or DRAINCTL_SERVER / the current context) and that `drainkit serve` is running.");
}

async function readJson(body: Dispatcher.ResponseData["body"]): Promise<unknown> {
  const text = await body.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The control API over HTTP. Every mutation carries an Idempotency-Key, so a
 * retry after a lost answer or a 503 from a replica that lost leadership
 * returns the first outcome instead of acting twice.
 *
 * @example
 * const api = new RestControlClient({ server: "http://127.0.0.1:7400", token, context: undefined });
 * const { body } = await api.call<{ items: Peer[] }>("GET", "/control/peers");
 */
export class RestControlClient implements ControlClient {
  readonly server: string;
  readonly #token: string | undefined;

  constructor(connection: Connection) {
    // With --grpc the default URL is a guess nobody made; a verb that needs REST says so instead of calling it.
    if (connection.grpc !== undefined && connection.serverGiven === false) throw restRequired("This command");
    this.server = connection.server;
    this.#token = connection.token;
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { accept: "application/json, application/problem+json", "user-agent": "drainctl", ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}), ...extra };
  }

  url(path: string, query?: CallOptions["query"]): string {
    const u = new URL(path, `${this.server}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async call<T>(method: "GET" | "POST" | "PUT" | "PATCH", path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
    if (MUTATIONS.has(method)) headers["idempotency-key"] = `drainctl-${randomUUID()}`;
    const url = this.url(path, options.query);
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers: this.#headers(headers),
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (e) {
        if (options.signal?.aborted) throw e;
        throw unreachable(this.server, e);
      }
      const body = await readJson(res.body);
      if (res.statusCode < 400) {
        const etag = res.headers["etag"];
        return { status: res.statusCode, etag: typeof etag === "string" ? etag : undefined, body: body as T, headers: res.headers };
      }
      const problem: Problem = typeof body === "object" && body !== null ? (body as Problem) : { title: `HTTP ${res.statusCode}`, detail: String(body ?? "") };
      // Another replica will answer a not-leader / draining 503; the Idempotency-Key makes the retry safe.
      if (res.statusCode === 503 && attempt < 3) {
        await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      throw new ProblemError(res.statusCode, problem);
    }
  }

  /**
   * Follows `/control/events` from `since` (exclusive), reconnecting with
   * Last-Event-ID when a replica goes away, until `signal` aborts.
   */
  async *events(options: EventsOptions): AsyncGenerator<FeedEvent> {
    let lastId: number | undefined = options.since;
    let failures = 0;
    while (!options.signal.aborted) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(this.url("/control/events", { kinds: options.kinds?.join(","), peer: options.peer, ...(lastId === undefined ? {} : { since: lastId }) }), {
          method: "GET",
          headers: this.#headers({ accept: "text/event-stream" }),
          signal: options.signal,
        });
      } catch (e) {
        if (options.signal.aborted) return;
        if (++failures > 5) throw unreachable(this.server, e);
        await new Promise((r) => setTimeout(r, 500 * failures));
        continue;
      }
      if (res.statusCode >= 400) {
        const body = await readJson(res.body);
        throw new ProblemError(res.statusCode, (body ?? {}) as Problem);
      }
      failures = 0;
      let buffer = "";
      let reconnect = false;
      try {
        for await (const chunk of res.body) {
          buffer += (chunk as Buffer).toString("utf8");
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const ev = parseSse(block);
            if (ev === undefined) continue;
            if (ev.event === "reconnect") {
              reconnect = true;
              continue;
            }
            if (ev.event === "reset") {
              const d = ev.data as { detail?: string };
              throw new CliError("Event history lost", d?.detail ?? "The server no longer holds the history to resume from.", EXIT.unavailable, "Run the command again to start from the current state.");
            }
            if (ev.id !== undefined) lastId = ev.id;
            yield ev;
          }
        }
      } catch (e) {
        if (options.signal.aborted) return;
        if (e instanceof CliError) throw e;
      }
      if (!reconnect && options.signal.aborted) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The REST client under its first name, so `new ControlClient(connection)` keeps talking HTTP. */
export const ControlClient = RestControlClient;

function parseSse(block: string): FeedEvent | undefined {
  let id: number | undefined;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "id") id = Number(value);
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.join("\n"));
  } catch {
    parsed = data.join("\n");
  }
  return { id, event, data: parsed };
}
