// @ts-nocheck
import { ControlPlaneError, createControlPlaneClient, readAll } from "@drainkit/client";
import type { Clock, Random } from "@drainkit/core";
import { fetch as undiciFetch, type Dispatcher } from "undici";
import type { PeerSource, RoutingPeer } from "../source.ts";

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

/**
 * The control plane answered a read with an error, or could not be reached:
 * the client's {@link ControlPlaneError}, under the name this package has
 * always exported.
 *
 * @deprecated Use `ControlPlaneError` from `@drainkit/client`.
 */
export const ControlPlaneReadError = ControlPlaneError;

/**
 * A {@link PeerSource} on a remote control plane, through `@drainkit/client`:
 * the snapshot from `GET /control/peers` (paged), the changes from
 * `GET /control/events?kinds=peer` (the client's one SSE consumer),
 * reconnecting with `Last-Event-ID` and core's jittered backoff (200 ms to
 * 5 s) so no change is lost. When the server can no longer replay
 * (`history-lost`) or refuses the token, the watch reports the error and
 * stops; the router then re-reads the snapshot.
 *
 * @example
 * const source = controlPlaneSource({ url: "http://127.0.0.1:7400", token, dispatcher: new Agent() });
 * const router = await startRouter({ source, clock: systemClock() });
 */
export function controlPlaneSource(options: ControlPlaneSourceOptions): PeerSource {
  const { dispatcher } = options;
  const client = createControlPlaneClient({
    url: options.url,
    token: options.token,
    // The dispatcher carries the TLS settings of `drainkit route --ca/--cert`.
    fetch: ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const inPool = (p: RoutingPeer): boolean => options.pool === undefined || p.pools.includes(options.pool);
  // What `drainkit route` has always reported: `control-plane-unreachable` for no answer, and for a refused
  // token the scope it needs; everything else is the client's error as is.
  const explained = (error: unknown): unknown => {
    if (!(error instanceof ControlPlaneError)) return error;
    const refused = error.status === 401 || error.status === 403;
    if (error.code !== "unreachable" && !refused) return error;
    const code = refused ? error.code : "control-plane-unreachable";
    const hint = refused ? ". Give drainkit route a token with the mesh.read scope (drainkit token add <name> --scope mesh.read)." : "";
    return new ControlPlaneError(error.status, code, `${error.message}${hint}`, { retryable: error.retryable, details: { ...error.details }, cause: error });
  };

  return {
    async snapshot() {
      try {
        const { items, revision } = await readAll((cursor) =>
          client.listPeers({ limit: 500, ...(cursor === undefined ? {} : { cursor }), ...(options.pool === undefined ? {} : { pool: options.pool }) }),
        );
        return { peers: items.filter(inPool), revision };
      } catch (error) {
        throw explained(error);
      }
    },

    watch(fromRevision, onChange, onError) {
      return client.watch(
        fromRevision,
        (change) => {
          // A peer leaving the pool is, to this router, a peer gone.
          const value = change.kind === "peer" && change.value !== undefined && change.value !== null && !inPool(change.value as RoutingPeer) ? undefined : change.value ?? undefined;
          onChange({ revision: change.revision, kind: change.kind, id: change.id, value });
        },
        (error) => onError?.(explained(error) as Error),
        { kinds: ["peer"] },
      );
    },
  };
}
