import { randomUUID } from "node:crypto";
import { systemClock, systemRandom } from "@drainkit/core";
import { backoff, ControlPlaneError, HistoryLostError, streamEvents, type ApiResponse, type CallOptions, type ControlClient as ControlTransport, type EventsOptions, type FeedEvent } from "@drainkit/client";
import { request, type Dispatcher } from "undici";
import { CliError, EXIT, ProblemError, type Problem } from "./errors.ts";
import type { Connection } from "./contexts.ts";

export type { ApiResponse, CallOptions, EventsOptions, FeedEvent };

/** A 503 from a replica that is not the leader (or is draining) is asked again, at most twice, after about 250 ms, then 500 ms. */
export const NOT_LEADER_RETRY = { initialMs: 250, maxMs: 500 };
/** The change feed waits 0.5 s doubling to 4 s between failed connections, and gives up after five in a row. */
export const FEED_RETRY = { initialMs: 500, maxMs: 4_000 };
export const FEED_GIVE_UP_AFTER = 5;

/**
 * The control API as drainctl's verbs use it, whatever carries it: the
 * transport-neutral interface of @drainkit/client. {@link RestControlClient}
 * sends the path as HTTP; `GrpcControlClient` (`grpcClient.ts`) turns it into
 * the matching `drainkit.control.v1` RPC. Commands hold this type and never
 * branch on the transport.
 *
 * @example
 * const { body } = await session.client.call<{ items: Peer[] }>("GET", "/control/peers", { query: { pool: "web" } });
 */
export type ControlClient = ControlTransport;

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
  readonly #clock = systemClock();
  readonly #random = systemRandom();

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

  async call<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
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
        await backoff(attempt, NOT_LEADER_RETRY, { clock: this.#clock, random: this.#random, signal: options.signal });
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
    const feed = streamEvents({
      url: this.server,
      token: this.#token,
      lastEventId: options.since,
      ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
      ...(options.peer === undefined ? {} : { peer: options.peer }),
      signal: options.signal,
      headers: { "user-agent": "drainctl" },
      backoff: FEED_RETRY,
      giveUpAfter: FEED_GIVE_UP_AFTER,
      clock: this.#clock,
      random: this.#random,
    });
    try {
      for await (const m of feed) {
        let data: unknown;
        try {
          data = JSON.parse(m.data);
        } catch {
          data = m.data;
        }
        yield { id: m.id === undefined ? undefined : Number(m.id), event: m.event, data };
      }
    } catch (e) {
      if (options.signal.aborted) return;
      if (e instanceof HistoryLostError) {
        const reset = parseJson(String(e.details["reset"] ?? "")) as { detail?: string } | undefined;
        throw new CliError("Event history lost", reset?.detail ?? "The server no longer holds the history to resume from.", EXIT.unavailable, "Run the command again to start from the current state.");
      }
      if (e instanceof ControlPlaneError) throw e.status === 0 ? unreachable(this.server, e.cause) : new ProblemError(e.status, e.details as Problem);
      throw e;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The REST client under its first name, so `new ControlClient(connection)` keeps talking HTTP. */
export const ControlClient = RestControlClient;
