// @ts-nocheck
import { DEFAULT_BACKOFF, type BackoffPolicy, type Clock, type Random } from "@drainkit/core";
import { ownedTransport } from "#transport";
import { defaultClock, defaultRandom } from "./defaults.ts";
import { streamEvents, type StreamState, type WatchFilter } from "./streamEvents.ts";
import { readAll } from "./pages.ts";
import { problemError, unreachableError } from "./problemError.ts";
import type { ChangeKind, ChangeOf, DrainInput, DrainStatus, MoveQuery, MoveReport, Page, Peer, PeerRegistration, Placement, ResumeInput, StatusReport, WorkloadMove } from "./types.ts";

/** Settings of {@link createControlPlaneClient}. */
export interface ControlPlaneClientOptions {
  /** Base URL of `drainkit serve`, e.g. `http://127.0.0.1:7400`. */
  readonly url: string;
  /** Bearer token: `mesh.agent` for an agent (its principal id must be the peer id), `mesh.read` for a router. */
  readonly token: string;
  /** The fetch to call; default one the client owns (in Node, on its own connection pool, which `close()` ends). */
  readonly fetch?: typeof fetch;
  /** Per-request timeout for REST calls, ms. Default 10 000. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Waits between stream reconnects: `initialMs` doubling to `maxMs`, half of each drawn at random. Default 200 ms → 5 s. */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** Options of {@link ControlPlaneClient.watch}. */
export interface WatchOptions<K extends ChangeKind = ChangeKind> extends WatchFilter {
  /** Kinds of change to receive. Default every kind. */
  readonly kinds?: readonly K[];
  /** Told whenever the stream goes up or down (the agent polls while it is down). */
  readonly onState?: (state: StreamState, error?: unknown) => void;
}

/**
 * A typed client for the `/control` REST API and its event stream. Also a
 * routing `PeerSource` (`snapshot` + `watch`), so a router in another process
 * can follow a remote control plane.
 */
export interface ControlPlaneClient {
  readonly url: string;
  registerPeer(registration: PeerRegistration): Promise<Peer>;
  reportStatus(id: string, report: StatusReport): Promise<Peer>;
  getPeer(id: string): Promise<Peer>;
  listPeers(query?: { readonly limit?: number; readonly cursor?: string; readonly role?: string; readonly pool?: string }): Promise<Page<Peer>>;
  drain(id: string, input: DrainInput, options?: { readonly idempotencyKey?: string }): Promise<DrainStatus>;
  drainStatus(id: string): Promise<DrainStatus>;
  /** The workloads peer `id` holds, as last reported (`GET /control/peers/{id}/placement`; version 0 when never reported). */
  getPlacement(id: string): Promise<Placement>;
  resume(id: string, input?: ResumeInput, options?: { readonly idempotencyKey?: string }): Promise<Peer>;
  /** Workload moves (`GET /control/moves`); an agent's token sees only the moves from or to its own peer. */
  listMoves(query?: MoveQuery): Promise<readonly WorkloadMove[]>;
  /**
   * Reports a move's progress (`POST /control/moves/{id}:report`): the
   * destination's agent `serving` (or `failed` with a reason), the source's
   * agent `done`. Repeating the move's current state is a no-op, so retries
   * are safe; an illegal step is a {@link ControlPlaneError} with code
   * `move-state-conflict` (409).
   */
  reportMove(id: string, report: MoveReport, options?: { readonly idempotencyKey?: string }): Promise<WorkloadMove>;
  /** Every peer and the revision the first page was read at. */
  snapshot(): Promise<{ readonly peers: readonly Peer[]; readonly revision: number }>;
  /**
   * Follows `/control/events` after `fromRevision`, reconnecting with
   * `Last-Event-ID` (jittered backoff) whenever the stream ends or breaks, so
   * no change is lost or repeated. `onError` gets a {@link HistoryLostError}
   * when the server can no longer replay from there (re-read, then watch
   * again), or a non-retryable error (401, 403); the watch then stops.
   */
  watch<K extends ChangeKind = ChangeKind>(fromRevision: number, onChange: (change: ChangeOf<K>) => void, onError?: (error: Error) => void, options?: WatchOptions<K>): { close(): void };
  /** Closes what the client holds open: its watches and, when it owns them, its connections. */
  close(): Promise<void>;
}

type Method = "GET" | "POST" | "PUT";

/**
 * Builds a {@link ControlPlaneClient} on `fetch`.
 *
 * @example
 * const cp = createControlPlaneClient({ url: "http://127.0.0.1:7400", token: process.env.DRAINKIT_TOKEN! });
 * await cp.registerPeer({ id: "web-1", address: "10.0.0.1:8080", pools: ["web"], roles: ["edge"] });
 * const w = cp.watch(0, (c) => console.log(c.revision, c.kind, c.id), console.error, { kinds: ["peer"] });
 * // An agent following its own peer and the moves it takes part in:
 * cp.watch(0, (c) => (c.kind === "move" ? console.log(c.value?.state) : undefined), console.error, { kinds: ["peer", "move"], peer: "web-1" });
 * await cp.reportMove("mv-1", { state: "serving" }, { idempotencyKey: "mv-1-serving" });
 */
export function createControlPlaneClient(options: ControlPlaneClientOptions): ControlPlaneClient {
  const base = options.url.replace(/\/+$/, "");
  const owned = options.fetch === undefined ? ownedTransport() : undefined;
  const doFetch = options.fetch ?? owned!.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? defaultClock();
  const random = options.random ?? defaultRandom();
  const policy: BackoffPolicy = { initialMs: options.reconnect?.initialMs ?? DEFAULT_BACKOFF.initialMs, maxMs: options.reconnect?.maxMs ?? DEFAULT_BACKOFF.maxMs };
  const auth = { authorization: `Bearer ${options.token}` };
  const watches = new Set<AbortController>();

  const call = async <T>(method: Method, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    let res: Response;
    let text: string;
    try {
      res = await doFetch(base + path, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (cause) {
      throw unreachableError(base, `${method} ${base}${path}`, cause);
    }
    if (res.status >= 400) throw problemError(res.status, text, `${method} ${path}`);
    try {
      return (text === "" ? {} : JSON.parse(text)) as T;
    } catch {
      return { detail: text } as T;
    }
  };

  const enc = encodeURIComponent;
  const keyed = (o?: { readonly idempotencyKey?: string }): Record<string, string> => (o?.idempotencyKey === undefined ? {} : { "idempotency-key": o.idempotencyKey });
  const qs = (query: object): string => {
    const s = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return s === "" ? "" : `?${s}`;
  };

  const listPeers: ControlPlaneClient["listPeers"] = (query = {}) => call("GET", `/control/peers${qs(query)}`);

  const watch = <K extends ChangeKind = ChangeKind>(fromRevision: number, onChange: (change: ChangeOf<K>) => void, onError?: (error: Error) => void, watchOptions: WatchOptions<K> = {}): { close(): void } => {
    const controller = new AbortController();
    watches.add(controller);
    const events = streamEvents({
      url: base,
      token: options.token,
      lastEventId: fromRevision,
      signal: controller.signal,
      ...(watchOptions.kinds === undefined ? {} : { kinds: watchOptions.kinds }),
      ...(watchOptions.peer === undefined ? {} : { peer: watchOptions.peer }),
      ...(watchOptions.onState === undefined ? {} : { onState: watchOptions.onState }),
      backoff: policy,
      fetch: doFetch,
      clock,
      random,
    });
    void (async () => {
      try {
        for await (const m of events) {
          if (m.id === undefined) continue;
          let change: ChangeOf<K>;
          try {
            change = JSON.parse(m.data) as ChangeOf<K>;
          } catch {
            continue;
          }
          onChange(change);
        }
      } catch (error) {
        if (!controller.signal.aborted) onError?.(error instanceof Error ? error : new Error(String(error)));
      } finally {
        watches.delete(controller);
      }
    })();
    return { close: () => controller.abort() };
  };

  return {
    url: base,
    registerPeer: ({ id, ...rest }) => call("PUT", `/control/peers/${enc(id)}`, rest),
    reportStatus: (id, report) => call("PUT", `/control/peers/${enc(id)}/status`, report),
    getPeer: (id) => call("GET", `/control/peers/${enc(id)}`),
    listPeers,
    drain: (id, input, o) => call("POST", `/control/peers/${enc(id)}:drain`, input, keyed(o)),
    drainStatus: (id) => call("GET", `/control/peers/${enc(id)}/drain`),
    getPlacement: (id) => call("GET", `/control/peers/${enc(id)}/placement`),
    resume: (id, input = {}, o) => call("POST", `/control/peers/${enc(id)}:resume`, input, keyed(o)),
    listMoves: async (query = {}) => (await call<{ items: readonly WorkloadMove[] }>("GET", `/control/moves${qs(query)}`)).items,
    reportMove: (id, report, o) => call("POST", `/control/moves/${enc(id)}:report`, report, keyed(o)),
    async snapshot() {
      const { items, revision } = await readAll((cursor) => listPeers({ limit: 500, ...(cursor === undefined ? {} : { cursor }) }));
      return { peers: items, revision };
    },
    watch,
    close: async () => {
      for (const w of watches) w.abort();
      await owned?.close();
    },
  };
}
