import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { isDrainkitError } from "@drainkit/core";
import { Agent, request, type Dispatcher } from "undici";
import type { Balancer, RouteMember } from "../types.ts";

/** Options of {@link createRoleProxy}. */
export interface RoleProxyOptions {
  /** Picks the upstream for each request; its strategy decides spread and stickiness. */
  readonly balancer: Balancer;
  /** The upstream origin of a member. Default `http://<address>`. */
  readonly originOf?: (member: RouteMember) => string;
  /**
   * The session a request belongs to, for a consistent-hash balancer (a
   * cookie, a header, the client address). Required with consistent hashing.
   */
  readonly sessionKey?: (req: IncomingMessage) => string | undefined;
  /** undici dispatcher for upstream connections. Default: an `Agent` the proxy owns and closes. */
  readonly dispatcher?: Dispatcher;
}

/** A reverse proxy for one role: a node:http request handler plus `close()`. */
export interface RoleProxy {
  /** Pass to `http.createServer(proxy.handle)` or call from any node:http handler. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Closes the upstream connections the proxy owns. */
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authenticate", "proxy-authorization", "host"]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set((headers.connection ?? "").split(",").map((h) => h.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

function problem(res: ServerResponse, status: number, code: string, detail: string, retryAfter?: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", "application/problem+json");
  if (retryAfter !== undefined) res.setHeader("retry-after", String(retryAfter));
  res.end(JSON.stringify({ type: `https://drainkit.dev/problems/${code}`, title: code, status, detail }));
}

/**
 * A reverse proxy on undici that sends each request to a member the balancer
 * picks, so new requests never reach a draining, drained or failed role while
 * requests already in flight finish where they are. With `least-in-flight`
 * the proxy's own requests are the in-flight counts. Answers 503
 * (`no-routable-member`, with `retry-after`) when the role has no routable
 * member and 502 (`upstream-failed`) when the upstream fails. The response
 * names the member in `x-drainkit-member`.
 *
 * @example
 * const proxy = createRoleProxy({ balancer: router.balancer("edge", { strategy: "least-in-flight" }) });
 * http.createServer(proxy.handle).listen(8080);
 */
export function createRoleProxy(options: RoleProxyOptions): RoleProxy {
  const owned = options.dispatcher === undefined ? new Agent() : undefined;
  const dispatcher = options.dispatcher ?? owned!;
  const originOf = options.originOf ?? ((m: RouteMember) => `http://${m.address}`);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let lease;
    try {
      lease = options.balancer.acquire(options.sessionKey?.(req));
    } catch (e) {
      if (isDrainkitError(e)) problem(res, e.code === "no-routable-member" ? 503 : 500, e.code, e.message, e.retryable ? 1 : undefined);
      else problem(res, 500, "internal", String(e));
      return;
    }
    const { member } = lease;
    const release = (): void => lease.release();
    res.once("close", release);
    const headers = forwardable(req.headers);
    const forwardedFor = req.socket.remoteAddress;
    if (forwardedFor !== undefined) headers["x-forwarded-for"] = [req.headers["x-forwarded-for"], forwardedFor].filter((v) => v !== undefined).join(", ");
    if (req.headers.host !== undefined) headers["x-forwarded-host"] = req.headers.host;
    const method = (req.method ?? "GET") as Dispatcher.HttpMethod;
    const hasBody = method !== "GET" && method !== "HEAD";
    request(new URL(req.url ?? "/", originOf(member)), { method, headers, dispatcher, ...(hasBody ? { body: req } : {}) })
      .then(async (upstream) => {
        res.statusCode = upstream.statusCode;
        for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) res.setHeader(k, v);
        res.setHeader("x-drainkit-member", member.id);
        await pipeline(upstream.body, res);
      })
      .catch((e: unknown) => {
        problem(res, 502, "upstream-failed", `Upstream ${member.id} (${member.address}) failed: ${e instanceof Error ? e.message : String(e)}. Retry; the router will pick again.`);
      })
      .finally(release);
  };

  return {
    handle,
    close: async () => {
      await owned?.close();
    },
  };
}
