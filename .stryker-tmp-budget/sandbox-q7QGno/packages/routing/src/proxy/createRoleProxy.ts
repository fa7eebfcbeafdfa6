// @ts-nocheck
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { isDrainkitError, noopMetrics, nullEventSink, silentLogger, systemClock, type Clock, type EventSink, type Logger, type Metrics } from "@drainkit/core";
import { Agent, request, type Dispatcher } from "undici";
import type { Balancer, RouteLease, RouteMember } from "../types.ts";
import { startHealthChecks, type HealthCheckOptions, type HealthChecks } from "./healthChecks.ts";
import { createOutlierDetector, type OutlierOptions } from "./outliers.ts";
import { retryPolicy, type RetryOptions, type RetryReason } from "./retryPolicy.ts";

/** Header a drainkit HTTP drain participant puts on the 503s of a closed gate: the request was not processed. */
export const DRAINING_HEADER = "drainkit-draining";

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
  /**
   * Retries on another member of a 503 carrying `drainkit-draining: true`
   * (the host's gate refused it unprocessed) and of a connection failure
   * before any response byte. Default on (see {@link RetryOptions}); `false`
   * turns them off.
   */
  readonly retry?: RetryOptions | false;
  /** Passive outlier ejection; default on (see {@link OutlierOptions}); `false` turns it off. */
  readonly outliers?: OutlierOptions | false;
  /** Active health checks; off unless given. */
  readonly healthCheck?: HealthCheckOptions;
  /** For ejection periods and health-check timers. Default the system clock. */
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  readonly events?: EventSink<RoleProxyEvent>;
}

/** What the proxy reports through its `EventSink` when a member leaves or rejoins rotation. */
export type RoleProxyEvent =
  | { readonly type: "proxy-member-ejected"; readonly role: string; readonly member: string; readonly address: string; readonly untilMs: number; readonly failures: number }
  | { readonly type: "proxy-member-returned"; readonly role: string; readonly member: string; readonly address: string }
  | { readonly type: "proxy-member-unhealthy" | "proxy-member-healthy"; readonly role: string; readonly member: string; readonly address: string; readonly last: number | string };

/** Counts since the proxy started. */
export interface RoleProxyStats {
  /** Requests the proxy took. */
  readonly requests: number;
  /** Attempts sent again to another member, by reason. */
  readonly retries: Readonly<Record<RetryReason, number>>;
  /** Retries not made because the budget was spent. */
  readonly budgetExhausted: number;
  /** Passive ejections. */
  readonly ejections: number;
  /** Answered 502 `upstream-failed` (connection failure, no retry left) or cut off mid-response. */
  readonly failed: number;
  /** Answered 503 `no-routable-member` by the proxy itself. */
  readonly noMember: number;
  /** Clients that went away before their answer was through. */
  readonly clientGone: number;
}

/** A reverse proxy for one role: a node:http request handler plus `close()`. */
export interface RoleProxy {
  /** Pass to `http.createServer(proxy.handle)` or call from any node:http handler. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Counts of routed, retried and ejected so far. */
  stats(): RoleProxyStats;
  /** Members out of rotation now: ejected by failures or failing health checks. */
  outOfRotation(): readonly string[];
  /** Stops health checks and closes the upstream connections the proxy owns. */
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

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const message = (e: unknown): string => (e instanceof Error ? `${e.message}${(e as { code?: string }).code === undefined ? "" : ` (${(e as { code?: string }).code})`}` : String(e));

/**
 * A reverse proxy on undici that sends each request to a member the balancer
 * picks, so new requests never reach a draining, drained or failed role while
 * requests already in flight finish where they are. With `least-in-flight`
 * the proxy's own requests are the in-flight counts.
 *
 * It does not drop what it can save: a 503 with `drainkit-draining: true`
 * (the host's gate closed before this router heard of the drain) and a
 * connection failure before any response byte are retried on a member not
 * tried yet, for idempotent methods, within `maxAttempts` and a retry
 * budget. Members failing in a row are ejected for a while (passive outlier
 * detection) and, with `healthCheck`, members failing an HTTP probe are
 * taken out until they pass again; when every member is out, the proxy
 * routes to them anyway rather than refuse (Envoy's panic mode).
 *
 * Answers 503 (`no-routable-member`, with `retry-after`) when the role has
 * no routable member and 502 (`upstream-failed`) when the upstream fails
 * and no retry is left. The response names the member in
 * `x-drainkit-member`, and the attempts in `x-drainkit-attempts` when more
 * than one was made. Metrics: `routing_proxy_requests_total{role,outcome}`,
 * `routing_proxy_retries_total{role,reason}`,
 * `routing_proxy_retry_budget_exhausted_total{role}`,
 * `routing_proxy_ejections_total{role}`, `routing_proxy_out_of_rotation{role}`.
 *
 * @example
 * const proxy = createRoleProxy({
 *   balancer: router.balancer("edge", { strategy: "least-in-flight" }),
 *   retry: { maxAttempts: 3 },
 *   healthCheck: { path: "/readyz", intervalMs: 2_000 },
 * });
 * http.createServer(proxy.handle).listen(8080);
 */
export function createRoleProxy(options: RoleProxyOptions): RoleProxy {
  const owned = options.dispatcher === undefined ? new Agent() : undefined;
  const dispatcher = options.dispatcher ?? owned!;
  const originOf = options.originOf ?? ((m: RouteMember) => `http://${m.address}`);
  const clock = options.clock ?? systemClock();
  const logger = options.logger ?? silentLogger;
  const events: EventSink<RoleProxyEvent> = options.events ?? nullEventSink;
  const metrics = options.metrics ?? noopMetrics;
  const { balancer } = options;
  const role = balancer.role;
  const policy = retryPolicy(options.retry);

  const cRequests = metrics.counter("routing_proxy_requests_total", "Requests the role proxy answered, by outcome");
  const cRetries = metrics.counter("routing_proxy_retries_total", "Attempts the role proxy sent again to another member, by reason");
  const cBudget = metrics.counter("routing_proxy_retry_budget_exhausted_total", "Retries the role proxy did not make because its retry budget was spent");
  const cEjections = metrics.counter("routing_proxy_ejections_total", "Members the role proxy ejected after consecutive failures");
  const gOut = metrics.gauge("routing_proxy_out_of_rotation", "Members the role proxy keeps out of rotation (ejected or failing health checks)");

  const stats = { requests: 0, retries: { draining: 0, connect: 0 }, budgetExhausted: 0, ejections: 0, failed: 0, noMember: 0, clientGone: 0 };
  let active = 0;

  const outliers =
    options.outliers === false
      ? undefined
      : createOutlierDetector({
          ...options.outliers,
          clock,
          onEvent: (e) => {
            if (e.type === "ejected") {
              stats.ejections++;
              cEjections.inc({ role });
              logger.warn({ role, member: e.member, address: e.address, failures: e.failures, untilMs: e.untilMs }, "member ejected after consecutive failures");
              events.emit({ type: "proxy-member-ejected" as const, role, member: e.member, address: e.address, untilMs: e.untilMs, failures: e.failures });
            } else {
              logger.info({ role, member: e.member, address: e.address }, "ejected member back in rotation");
              events.emit({ type: "proxy-member-returned" as const, role, member: e.member, address: e.address });
            }
            gOut.set(outOfRotation().length, { role });
          },
        });
  const health: HealthChecks | undefined =
    options.healthCheck === undefined
      ? undefined
      : startHealthChecks({
          ...options.healthCheck,
          clock,
          dispatcher,
          originOf,
          members: () => balancer.members(),
          onEvent: (e) => {
            logger.warn({ role, member: e.member, address: e.address, last: e.last }, `member ${e.type} by health check`);
            events.emit({ type: e.type === "healthy" ? ("proxy-member-healthy" as const) : ("proxy-member-unhealthy" as const), role, member: e.member, address: e.address, last: e.last });
            gOut.set(outOfRotation().length, { role });
          },
        });

  const out = (m: RouteMember): boolean => outliers?.isEjected(m) === true || health?.isUnhealthy(m) === true;
  function outOfRotation(): string[] {
    return balancer.members().filter(out).map((m) => m.id);
  }

  /** A member not tried yet and in rotation; failing that, one not tried yet at all (panic mode). */
  const acquire = (key: string | undefined, tried: ReadonlySet<string>): RouteLease => {
    if (outliers === undefined && health === undefined && tried.size === 0) return balancer.acquire(key);
    try {
      return balancer.acquire(key, (m) => tried.has(m.id) || out(m));
    } catch (e) {
      if (!isDrainkitError(e) || e.code !== "no-routable-member") throw e;
      return balancer.acquire(key, (m) => tried.has(m.id));
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase() as Dispatcher.HttpMethod;
    const length = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
    const hasBody = (length !== undefined && length > 0) || req.headers["transfer-encoding"] !== undefined;
    let retryable = policy.retries(method) && policy.maxAttempts > 1;
    let body: Buffer | IncomingMessage | undefined;
    if (hasBody) {
      // Only a body held in full can be sent twice.
      if (retryable && length !== undefined && length <= policy.maxBufferedBodyBytes) body = await readBody(req);
      else {
        body = req;
        retryable = false;
      }
    }
    const key = options.sessionKey?.(req);
    const headers = forwardable(req.headers);
    const forwardedFor = req.socket.remoteAddress;
    if (forwardedFor !== undefined) headers["x-forwarded-for"] = [req.headers["x-forwarded-for"], forwardedFor].filter((v) => v !== undefined).join(", ");
    if (req.headers.host !== undefined) headers["x-forwarded-host"] = req.headers.host;
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) gone.abort(new Error("client closed the connection"));
    });

    const tried = new Set<string>();
    let holdsBudget = false;
    let last: { member: RouteMember; error: unknown } | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let lease: RouteLease;
        try {
          lease = acquire(key, tried);
        } catch (e) {
          if (last !== undefined) break; // every member tried: answer with the last failure below
          stats.noMember++;
          cRequests.inc({ role, outcome: "no-member" });
          if (isDrainkitError(e)) problem(res, e.code === "no-routable-member" ? 503 : 500, e.code, e.message, e.retryable ? 1 : undefined);
          else problem(res, 500, "internal", String(e));
          return;
        }
        const { member } = lease;
        tried.add(member.id);
        // Retry only while the budget allows it; one slot per request covers all its retries.
        const mayRetry = (): boolean => {
          if (!retryable || attempt >= policy.maxAttempts || gone.signal.aborted) return false;
          if (holdsBudget) return true;
          if (policy.take(active)) return (holdsBudget = true);
          stats.budgetExhausted++;
          cBudget.inc({ role });
          return false;
        };
        try {
          let upstream: Dispatcher.ResponseData;
          try {
            upstream = await request(new URL(req.url ?? "/", originOf(member)), { method, headers, dispatcher, signal: gone.signal, ...(body === undefined ? {} : { body }) });
          } catch (e) {
            if (gone.signal.aborted) {
              stats.clientGone++;
              cRequests.inc({ role, outcome: "client-gone" });
              return;
            }
            outliers?.failure(member, balancer.members().length);
            last = { member, error: e };
            if (mayRetry()) {
              stats.retries.connect++;
              cRetries.inc({ role, reason: "connect" });
              continue;
            }
            break;
          }
          const draining = upstream.statusCode === 503 && upstream.headers[DRAINING_HEADER] === "true";
          if (draining) {
            // A drain is not a fault of the member; its streak neither grows nor ends.
            if (mayRetry()) {
              await upstream.body.dump();
              stats.retries.draining++;
              cRetries.inc({ role, reason: "draining" });
              continue;
            }
          } else if (upstream.statusCode >= 500) outliers?.failure(member, balancer.members().length);
          else outliers?.success(member);
          res.statusCode = upstream.statusCode;
          for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) res.setHeader(k, v);
          res.setHeader("x-drainkit-member", member.id);
          if (attempt > 1) res.setHeader("x-drainkit-attempts", String(attempt));
          try {
            await pipeline(upstream.body, res);
            cRequests.inc({ role, outcome: "answered" });
          } catch (e) {
            if (gone.signal.aborted && !res.writableFinished) {
              stats.clientGone++;
              cRequests.inc({ role, outcome: "client-gone" });
            } else {
              stats.failed++;
              cRequests.inc({ role, outcome: "cut-off" });
              logger.warn({ role, member: member.id, error: message(e) }, "upstream response cut off");
            }
            res.destroy();
          }
          return;
        } finally {
          lease.release();
        }
      }
      stats.failed++;
      cRequests.inc({ role, outcome: "upstream-failed" });
      const m = last!.member;
      problem(res, 502, "upstream-failed", `Upstream ${m.id} (${m.address}) failed: ${message(last!.error)} after ${tried.size} attempt(s). Retry; the router will pick again.`);
    } finally {
      if (holdsBudget) policy.give();
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++;
    active++;
    serve(req, res)
      .catch((e: unknown) => {
        stats.failed++;
        problem(res, 502, "upstream-failed", message(e));
      })
      .finally(() => active--);
  };

  return {
    handle,
    stats: () => ({ ...stats, retries: { ...stats.retries } }),
    outOfRotation,
    close: async () => {
      health?.close();
      await owned?.close();
    },
  };
}
