// @ts-nocheck
import type { ChangeKind } from "./types.ts";

/** An answer of the control API: status, the ETag when sent, the parsed body. */
export interface ApiResponse<T> {
  readonly status: number;
  readonly etag: string | undefined;
  readonly body: T;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** What one call sends besides its method and path. */
export interface CallOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly ifMatch?: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** One change of `/control/events` as a transport hands it over: its revision, kind and the parsed change. */
export interface FeedEvent {
  readonly id: number | undefined;
  readonly event: string;
  readonly data: unknown;
}

/** Which part of the change feed to follow, from where, until when. */
export interface EventsOptions {
  /** Kinds to receive (`peer`, `cluster`, `config`, `audit`, `rollout`, `move`); all by default. */
  readonly kinds?: readonly (ChangeKind | string)[];
  /** Only this peer's changes and the moves from or to it (other kinds unchanged). */
  readonly peer?: string;
  /** Resume after this revision; none starts from now. */
  readonly since?: number;
  readonly signal: AbortSignal;
}

/**
 * The control API whatever carries it: a call is named by its REST resource
 * path (`POST /control/peers/web-1:drain`), and the change feed is one async
 * stream. A REST transport sends the path as HTTP; a gRPC transport turns it
 * into the matching `drainkit.control.v1` RPC. Code that holds this type
 * never branches on the transport.
 *
 * @example
 * const { body } = await client.call<Page<Peer>>("GET", "/control/peers", { query: { pool: "web" } });
 * for await (const e of client.events({ kinds: ["peer"], signal })) console.log(e.id, e.event);
 */
export interface ControlClient {
  /** Where the answers come from, for messages: the REST URL or `grpc://host:port`. */
  readonly server: string;
  call<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, options?: CallOptions): Promise<ApiResponse<T>>;
  /** The change feed from `since` (exclusive), resumed across reconnects, until `signal` aborts. */
  events(options: EventsOptions): AsyncGenerator<FeedEvent>;
}
