import { sleep, systemClock, systemRandom, type Clock, type Random } from "@drainkit/core";
import type {
  DrainInput,
  DrainStatus,
  MoveChange,
  MoveQuery,
  MoveReport,
  Page,
  Peer,
  PeerRegistration,
  Placement,
  RegistryChange,
  ResumeInput,
  RolloutChange,
  StatusReport,
  WorkloadMove,
} from "@drainkit/registry";
import { Agent as UndiciAgent, request, type Dispatcher } from "undici";
import { ControlPlaneError, HistoryLostError } from "./errors.ts";
import { createSseParser, type SseMessage } from "./sse.ts";

/** Settings of {@link createControlPlaneClient}. */
export interface ControlPlaneClientOptions {
  /** Base URL of `drainkit serve`, e.g. `http://127.0.0.1:7400`. */
  readonly url: string;
  /** Bearer token: `mesh.agent` for an agent (its principal id must be the peer id), `mesh.read` for a router. */
  readonly token: string;
  /** undici dispatcher; default an `Agent` the client owns and closes. */
  readonly dispatcher?: Dispatcher;
  /** Per-request timeout for REST calls, ms. Default 10 000. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Waits between stream reconnects: `initialMs` doubling to `maxMs`, half of each drawn at random. Default 200 ms → 5 s. */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** Connection state of a {@link ControlPlaneClient.watch}: `streaming` once the server answered, `down` between attempts. */
export type StreamState = "streaming" | "down";

/** Every change `/control/events` sends. */
export type ControlChange = RegistryChange | RolloutChange | MoveChange;

/** The kinds of change `/control/events` sends. */
export type ChangeKind = ControlChange["kind"];

/** The change type a watch of `K` kinds receives: `MoveChange` for "move", `RolloutChange` for "rollout", `RegistryChange` for the rest. */
export type ChangeOf<K extends ChangeKind> = K extends "move" ? MoveChange : K extends "rollout" ? RolloutChange : RegistryChange;

/** Options of {@link ControlPlaneClient.watch}. */
export interface WatchOptions<K extends ChangeKind = ChangeKind> {
  /** Kinds of change to receive. Default every kind. */
  readonly kinds?: readonly K[];
  /**
   * Follow one peer (`?peer=`): peer changes of other peers and moves neither
   * from nor to it are not sent; other kinds are unchanged. An agent may
   * only name its own peer.
   */
  readonly peer?: string;
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
  /** Closes the connections the client owns. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/**
 * Builds a {@link ControlPlaneClient}.
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
  const owned = options.dispatcher === undefined ? new UndiciAgent({ keepAliveTimeout: 4_000 }) : undefined;
  const dispatcher = options.dispatcher ?? owned!;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? systemClock();
  const random = options.random ?? systemRandom();
  const initialMs = options.reconnect?.initialMs ?? 200;
  const maxMs = options.reconnect?.maxMs ?? 5_000;
  const auth = { authorization: `Bearer ${options.token}` };

  const call = async (method: Dispatcher.HttpMethod, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Json> => {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(base + path, {
        method,
        dispatcher,
        headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new ControlPlaneError(0, "unreachable", `${method} ${base}${path} failed: ${cause instanceof Error ? cause.message : String(cause)}. Check that the control plane runs at ${base}.`, { retryable: true, cause });
    }
    const text = await res.body.text();
    let parsed: Json;
    try {
      parsed = text === "" ? {} : (JSON.parse(text) as Json);
    } catch {
      parsed = { detail: text };
    }
    if (res.statusCode >= 400) {
      const code = typeof parsed["code"] === "string" ? parsed["code"] : `http-${res.statusCode}`;
      const retryable = typeof parsed["retryable"] === "boolean" ? parsed["retryable"] : res.statusCode >= 500 || res.statusCode === 429;
      const detail = typeof parsed["detail"] === "string" ? parsed["detail"] : text;
      throw new ControlPlaneError(res.statusCode, code, `${method} ${path}: ${res.statusCode} ${code}: ${detail}`, { retryable, details: parsed });
    }
    return parsed;
  };

  const enc = encodeURIComponent;
  const keyed = (o?: { readonly idempotencyKey?: string }): Record<string, string> => (o?.idempotencyKey === undefined ? {} : { "idempotency-key": o.idempotencyKey });

  const listPeers: ControlPlaneClient["listPeers"] = async (query = {}) => {
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return (await call("GET", `/control/peers${qs ? `?${qs}` : ""}`)) as unknown as Page<Peer>;
  };

  const watch = <K extends ChangeKind = ChangeKind>(fromRevision: number, onChange: (change: ChangeOf<K>) => void, onError?: (error: Error) => void, watchOptions: WatchOptions<K> = {}): { close(): void } => {
    const controller = new AbortController();
    const { signal } = controller;
    let last = fromRevision;
    const query = new URLSearchParams({
      ...(watchOptions.kinds === undefined ? {} : { kinds: watchOptions.kinds.join(",") }),
      ...(watchOptions.peer === undefined ? {} : { peer: watchOptions.peer }),
    }).toString();
    const setState = (state: StreamState, error?: unknown): void => watchOptions.onState?.(state, error);

    /** One connection; resolves when the server ends the stream, rejects when it breaks. */
    const connect = async (): Promise<void> => {
      const res = await request(`${base}/control/events${query ? `?${query}` : ""}`, {
        method: "GET",
        dispatcher,
        headers: { ...auth, accept: "text/event-stream", "last-event-id": String(last) },
        signal,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text().catch(() => "");
        let code = `http-${res.statusCode}`;
        try {
          code = String((JSON.parse(text) as Json)["code"] ?? code);
        } catch {
          // not a problem document; keep the status-derived code
        }
        throw new ControlPlaneError(res.statusCode, code, `GET /control/events: ${res.statusCode} ${code}`, { retryable: res.statusCode >= 500 || res.statusCode === 429 });
      }
      setState("streaming");
      let lost: HistoryLostError | undefined;
      const parse = createSseParser((m: SseMessage) => {
        if (m.event === "reset") lost = new HistoryLostError(m.data);
        if (m.id === undefined || lost !== undefined) return;
        const revision = Number(m.id);
        let change: ChangeOf<K>;
        try {
          change = JSON.parse(m.data) as ChangeOf<K>;
        } catch {
          return;
        }
        // Several changes share one revision; resuming after it is still exact because the server never cuts a stream inside one.
        last = revision;
        onChange(change);
      });
      res.body.setEncoding("utf8");
      for await (const chunk of res.body) parse(chunk as string);
      if (lost !== undefined) throw lost;
    };

    void (async () => {
      let attempt = 0;
      while (!signal.aborted) {
        try {
          await connect();
          attempt = 0; // the server ended the stream on purpose (drain, overflow): reconnect at once
          setState("down");
        } catch (error) {
          if (signal.aborted) break;
          setState("down", error);
          if (error instanceof HistoryLostError || (error instanceof ControlPlaneError && !error.retryable)) {
            onError?.(error);
            return;
          }
          attempt++;
        }
        const wait = attempt === 0 ? 0 : Math.min(maxMs, initialMs * 2 ** (attempt - 1));
        try {
          await sleep(clock, Math.floor(wait / 2 + (wait / 2) * random.next()), signal);
        } catch {
          break;
        }
      }
    })();
    return { close: () => controller.abort() };
  };

  return {
    url: base,
    registerPeer: async ({ id, ...rest }) => (await call("PUT", `/control/peers/${enc(id)}`, rest)) as unknown as Peer,
    reportStatus: async (id, report) => (await call("PUT", `/control/peers/${enc(id)}/status`, report)) as unknown as Peer,
    getPeer: async (id) => (await call("GET", `/control/peers/${enc(id)}`)) as unknown as Peer,
    listPeers,
    drain: async (id, input, o) => (await call("POST", `/control/peers/${enc(id)}:drain`, input, keyed(o))) as unknown as DrainStatus,
    drainStatus: async (id) => (await call("GET", `/control/peers/${enc(id)}/drain`)) as unknown as DrainStatus,
    getPlacement: async (id) => (await call("GET", `/control/peers/${enc(id)}/placement`)) as unknown as Placement,
    resume: async (id, input = {}, o) => (await call("POST", `/control/peers/${enc(id)}:resume`, input, keyed(o))) as unknown as Peer,
    listMoves: async (query = {}) => {
      const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
      return ((await call("GET", `/control/moves${qs ? `?${qs}` : ""}`)) as unknown as { items: readonly WorkloadMove[] }).items;
    },
    reportMove: async (id, report, o) => (await call("POST", `/control/moves/${enc(id)}:report`, report, keyed(o))) as unknown as WorkloadMove,
    async snapshot() {
      const peers: Peer[] = [];
      let cursor: string | undefined;
      let revision: number | undefined;
      do {
        const page = await listPeers({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
        revision ??= page.revision;
        peers.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return { peers, revision };
    },
    watch,
    close: async () => {
      await owned?.close();
    },
  };
}
