// @ts-nocheck
import { silentLogger, type EventSink, type Logger } from "@drainkit/core";
import { request, type Dispatcher } from "undici";
import type { Router } from "../Router.ts";
import type { RouteMember } from "../types.ts";

/** What {@link acknowledgeRemovals} told the control plane, or failed to. */
export type RemovalAckEvent =
  | { readonly type: "router-registered"; readonly router: string; readonly peer: string }
  | { readonly type: "router-acked"; readonly router: string; readonly peer: string; readonly epoch: number }
  | { readonly type: "router-released"; readonly router: string; readonly peer: string }
  | { readonly type: "router-ack-failed"; readonly router: string; readonly peer: string; readonly call: "register" | "ack" | "release"; readonly message: string };

/** Options of {@link acknowledgeRemovals}. */
export interface RemovalAcksOptions {
  readonly router: Router;
  readonly role: string;
  /** Only members of this pool. */
  readonly pool?: string;
  /** Base URL of `drainkit serve`. */
  readonly url: string;
  /** A `mesh.agent` token whose principal id is {@link id} (or a `mesh.operate` one). */
  readonly token: string;
  /** This router's id on each peer (`Peer.routers`). */
  readonly id: string;
  /** undici dispatcher (TLS settings live here). */
  readonly dispatcher: Dispatcher;
  /**
   * Resolves once every other front door this router feeds applied what it
   * saw so far (HAProxy's `settled`): the acknowledgement waits for it.
   */
  readonly applied?: () => Promise<void>;
  /** Per-request timeout, ms. Default 5 000. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  readonly events?: EventSink<RemovalAckEvent>;
}

/** A running acknowledger. */
export interface RemovalAcks {
  /** Resolves once every call started so far ended. */
  settled(): Promise<void>;
  /** Stops following the router and releases this router from every peer it registered on. */
  close(): Promise<void>;
}

/**
 * Tells the control plane what this router does with each peer of a role:
 * registers on every peer it routes to (`PUT /control/peers/{id}/routers/{router}`)
 * and, once it took a draining peer out of rotation (after `applied`),
 * acknowledges the drain's epoch (`POST …:ack`), so the peer's agent refuses
 * new work as soon as every registered router stopped sending it, instead of
 * waiting out its deregistration delay. `close` releases the registrations,
 * so a stopped router holds no drain up. A call that fails is logged and
 * left: the peer's delay still bounds its drain.
 *
 * @example
 * const acks = acknowledgeRemovals({ router, role: "edge", url, token, id: "front-1", dispatcher: new Agent() });
 * // … on shutdown
 * await acks.close();
 */
export function acknowledgeRemovals(options: RemovalAcksOptions): RemovalAcks {
  const { router, role, id, dispatcher } = options;
  const base = options.url.replace(/\/+$/, "");
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const headers = { authorization: `Bearer ${options.token}`, "content-type": "application/json" };
  const registered = new Set<string>();
  const acked = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const inScope = (m: RouteMember): boolean => options.pool === undefined || m.pools.includes(options.pool);
  const path = (peer: string): string => `${base}/control/peers/${encodeURIComponent(peer)}/routers/${encodeURIComponent(id)}`;

  const send = async (method: "PUT" | "POST", url: string, body: object): Promise<void> => {
    const res = await request(url, { method, dispatcher, headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 300)}`);
  };
  const track = (peer: string, call: "register" | "ack" | "release", work: () => Promise<void>, onFail: () => void): Promise<void> => {
    const p = work().catch((e: unknown) => {
      onFail();
      const message = e instanceof Error ? e.message : String(e);
      logger.warn({ router: id, peer, call, error: message }, "router acknowledgement failed; the peer's deregistration delay applies");
      options.events?.emit({ type: "router-ack-failed", router: id, peer, call, message });
    });
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };

  const register = (peer: string): void => {
    if (registered.has(peer)) return;
    registered.add(peer);
    void track(peer, "register", async () => {
      await send("PUT", path(peer), {});
      options.events?.emit({ type: "router-registered", router: id, peer });
    }, () => registered.delete(peer));
  };
  const ack = (peer: string, epoch: number): void => {
    if ((acked.get(peer) ?? -1) >= epoch) return;
    acked.set(peer, epoch);
    registered.add(peer);
    void track(peer, "ack", async () => {
      await options.applied?.();
      await send("POST", `${path(peer)}:ack`, { epoch });
      options.events?.emit({ type: "router-acked", router: id, peer, epoch });
    }, () => acked.delete(peer));
  };

  for (const m of router.members(role)) if (inScope(m)) register(m.id);
  const unsubscribe = router.subscribe((change) => {
    const m = change.member;
    if (change.role !== role || m === undefined || !inScope(m)) return;
    if (change.routable) register(m.id);
    else if (m.phase === "draining" || m.phase === "drained") ack(m.id, m.epoch);
  });

  return {
    settled: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
    close: async () => {
      unsubscribe();
      while (running.size > 0) await Promise.all([...running]);
      await Promise.all(
        [...registered].map((peer) =>
          track(peer, "release", async () => {
            await send("POST", `${path(peer)}:release`, {});
            options.events?.emit({ type: "router-released", router: id, peer });
          }, () => {}),
        ),
      );
      registered.clear();
    },
  };
}
