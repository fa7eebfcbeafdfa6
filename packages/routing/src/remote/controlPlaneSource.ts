import { createSseParser, readAll, type PageOf } from "@drainkit/client";
import { backoff, DEFAULT_BACKOFF, DrainkitError, systemClock, systemRandom, type Clock, type Random } from "@drainkit/core";
import { request, type Dispatcher } from "undici";
import type { PeerSource, RoutingChange, RoutingPeer } from "../source.ts";

/** Settings of {@link controlPlaneSource}. */
export interface ControlPlaneSourceOptions {
  /** Base URL of `drainkit serve`, e.g. `https://cp.example:7400`. */
  readonly url: string;
  /** Bearer token with `mesh.read`. */
  readonly token: string;
  /** Only peers in this pool are routed; the others look gone. */
  readonly pool?: string;
  /** undici dispatcher (TLS settings live here). */
  readonly dispatcher: Dispatcher;
  /** Per-request timeout of the snapshot reads, ms. Default 10 000. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
}

/** The control plane answered a read with an error, or could not be reached. */
export class ControlPlaneReadError extends DrainkitError<string> {
  readonly status: number;
  constructor(status: number, code: string, message: string, retryable: boolean) {
    // The code comes from the server, which may be newer than this catalogue.
    super(code, message, { retryable, details: { status } });
    this.status = status;
  }
}

/**
 * A {@link PeerSource} on a remote control plane: the snapshot from
 * `GET /control/peers` (paged), the changes from `GET /control/events?kinds=peer`
 * (SSE), reconnecting with `Last-Event-ID` and a jittered backoff (200 ms to
 * 5 s) so no change is lost. When the server can no longer replay
 * (`reset` event) or refuses the token, the watch reports the error and
 * stops; the router then re-reads the snapshot.
 *
 * @example
 * const source = controlPlaneSource({ url: "http://127.0.0.1:7400", token, dispatcher: new Agent() });
 * const router = await startRouter({ source, clock: systemClock() });
 */
export function controlPlaneSource(options: ControlPlaneSourceOptions): PeerSource {
  const base = options.url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${options.token}` };
  const { dispatcher } = options;
  const clock = options.clock ?? systemClock();
  const random = options.random ?? systemRandom();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const inPool = (p: RoutingPeer): boolean => options.pool === undefined || p.pools.includes(options.pool);

  const failure = async (what: string, res: Dispatcher.ResponseData): Promise<ControlPlaneReadError> => {
    const text = await res.body.text().catch(() => "");
    let code = `http-${res.statusCode}`;
    let detail = text;
    try {
      const p = JSON.parse(text) as { code?: string; detail?: string };
      code = p.code ?? code;
      detail = p.detail ?? text;
    } catch {
      // not a problem document
    }
    const hint = res.statusCode === 401 || res.statusCode === 403 ? " Give drainkit route a token with the mesh.read scope (drainkit token add <name> --scope mesh.read)." : "";
    return new ControlPlaneReadError(res.statusCode, code, `${what} at ${base}: ${res.statusCode} ${code}: ${detail}.${hint}`, res.statusCode >= 500 || res.statusCode === 429);
  };

  return {
    async snapshot() {
      const readPage = async (cursor: string | undefined): Promise<PageOf<RoutingPeer>> => {
        const qs = new URLSearchParams({ limit: "500", ...(cursor === undefined ? {} : { cursor }), ...(options.pool === undefined ? {} : { pool: options.pool }) });
        let res: Dispatcher.ResponseData;
        try {
          res = await request(`${base}/control/peers?${qs}`, { dispatcher, headers, signal: AbortSignal.timeout(timeoutMs) });
        } catch (e) {
          throw new ControlPlaneReadError(0, "control-plane-unreachable", `GET ${base}/control/peers failed: ${e instanceof Error ? e.message : String(e)}. Check that the control plane runs at ${base} (and its TLS settings).`, true);
        }
        if (res.statusCode !== 200) throw await failure("GET /control/peers", res);
        return (await res.body.json()) as PageOf<RoutingPeer>;
      };
      const { items, revision } = await readAll(readPage);
      return { peers: items.filter(inPool), revision };
    },

    watch(fromRevision, onChange, onError) {
      const controller = new AbortController();
      const { signal } = controller;
      let last = fromRevision;
      const connect = async (): Promise<void> => {
        const res = await request(`${base}/control/events?kinds=peer`, { dispatcher, headers: { ...headers, accept: "text/event-stream", "last-event-id": String(last) }, signal });
        if (res.statusCode !== 200) throw await failure("GET /control/events", res);
        let lost: ControlPlaneReadError | undefined;
        const parse = createSseParser((m) => {
          if (m.event === "reset") lost = new ControlPlaneReadError(200, "history-compacted", `The control plane no longer has the changes after revision ${last}: ${m.data}`, true);
          if (m.id === undefined || lost !== undefined) return;
          let change: RoutingChange;
          try {
            change = JSON.parse(m.data) as RoutingChange;
          } catch {
            return;
          }
          last = Number(m.id);
          // A peer leaving the pool is, to this router, a peer gone.
          const value = change.kind === "peer" && change.value !== undefined && change.value !== null && !inPool(change.value as RoutingPeer) ? undefined : change.value ?? undefined;
          onChange({ revision: change.revision, kind: change.kind, id: change.id, value });
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
            attempt = 0; // the server ended the stream on purpose: reconnect at once
          } catch (error) {
            if (signal.aborted) return;
            if (error instanceof ControlPlaneReadError && (!error.retryable || error.code === "history-compacted")) {
              onError?.(error);
              return;
            }
            attempt++;
          }
          try {
            await backoff(attempt, DEFAULT_BACKOFF, { clock, random, signal });
          } catch {
            return;
          }
        }
      })();
      return { close: () => controller.abort() };
    },
  };
}
