// @ts-nocheck
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createH2Server, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { silentLogger, systemClock, type Clock, type Logger } from "@drainkit/core";
import { Agent } from "undici";
import { createGrpcProxy, type GrpcProxy } from "../proxy/createGrpcProxy.ts";
import { createRoleProxy, type RoleProxy, type RoleProxyEvent } from "../proxy/createRoleProxy.ts";
import type { HealthCheckOptions } from "../proxy/healthChecks.ts";
import type { OutlierOptions } from "../proxy/outliers.ts";
import type { RetryOptions } from "../proxy/retryPolicy.ts";
import { startHaproxySync, type HaproxySync, type HaproxySyncEvent } from "../haproxy/HaproxySync.ts";
import { haproxyRuntimeApi } from "../haproxy/runtimeApi.ts";
import { controlPlaneSource } from "../remote/controlPlaneSource.ts";
import { acknowledgeRemovals, type RemovalAckEvent, type RemovalAcks } from "../remote/removalAcks.ts";
import { startRouter, type Router } from "../Router.ts";
import type { RouterEvent } from "../types.ts";
import { promMetrics } from "./promMetrics.ts";

/** TLS towards the control plane (and the upstreams, with `upstreamTls`). */
export interface RouteTls {
  /** PEM file of the CA that signed the server's certificate. */
  readonly caFile?: string;
  /** Client certificate and key (PEM files), for mutual TLS. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Accept any server certificate. For tests only. */
  readonly insecure?: boolean;
}

/** Settings of {@link startRoute}. */
export interface RouteOptions {
  /** Base URL of `drainkit serve`. */
  readonly controlPlane: string;
  /** Bearer token with `mesh.read`. */
  readonly token: string;
  /** Role whose routable members get the traffic. */
  readonly role: string;
  /** Only members of this pool. */
  readonly pool?: string;
  /** `host:port` to serve on. Port 0 picks one; `none` serves nothing (an HAProxy does, see `haproxy`). */
  readonly listen: string;
  /** Also keep an HAProxy backend in step through its Runtime API (see {@link startHaproxySync}). */
  readonly haproxy?: { readonly socket: string; readonly backend: string; readonly serverArgs?: string };
  /** `host:port` to serve gRPC on (HTTP/2 cleartext, any service, passed through); none unless given. */
  readonly grpcListen?: string;
  /** The label holding a member's gRPC `host:port` (the example service's is `grpc`). Default: its address. */
  readonly grpcAddressLabel?: string;
  /** `host:port` for `/metrics` and `/healthz` of the front door itself; none unless given. */
  readonly adminListen?: string;
  readonly strategy?: "round-robin" | "least-in-flight";
  readonly retry?: RetryOptions | false;
  readonly outliers?: OutlierOptions | false;
  readonly healthCheck?: HealthCheckOptions;
  readonly tls?: RouteTls;
  /** Upstreams speak HTTPS (`https://<address>`) with these settings. */
  readonly upstreamTls?: RouteTls;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Router and proxy events (members added and removed, ejections, health changes). */
  /**
   * This router's id on each peer: registers there and acknowledges each
   * drain once the peer is out of rotation (here and in HAProxy), so the
   * peer stops waiting out its deregistration delay. Needs a `mesh.agent`
   * token whose principal id is this id. Off when absent.
   */
  readonly routerId?: string;
  readonly onEvent?: (event: RouterEvent | RoleProxyEvent | HaproxySyncEvent | RemovalAckEvent) => void;
}

/** A running front door. */
export interface RunningRoute {
  /** `http://host:port` clients send to; undefined with `listen: "none"`. */
  readonly url: string | undefined;
  /** `host:port` clients send gRPC calls to, when `grpcListen` was given. */
  readonly grpcAddress: string | undefined;
  readonly grpcProxy: GrpcProxy | undefined;
  /** `http://host:port` of `/metrics` and `/healthz`, when `adminListen` was given. */
  readonly adminUrl: string | undefined;
  readonly router: Router;
  readonly proxy: RoleProxy;
  readonly haproxy: HaproxySync | undefined;
  /** Stops taking connections, lets requests in flight finish (up to `graceMs`, default 10 000), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

function connectOptions(tls: RouteTls | undefined): Record<string, unknown> {
  if (tls === undefined) return {};
  return {
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
    ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
    ...(tls.insecure === true ? { rejectUnauthorized: false } : {}),
  };
}

function hostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  if (m === null || Number(m[2]) > 65_535) throw new RangeError(`${what} must be host:port, e.g. 127.0.0.1:8080 (got "${value}")`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

async function listenOn(server: Server | Http2Server, at: { host: string; port: number }): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * Starts a front door for one role: a router following the control plane's
 * peers (REST snapshot + SSE), a {@link createRoleProxy} in front of the
 * role's routable members with retries, outlier ejection and optional
 * health checks, and, with `adminListen`, `/metrics` (Prometheus) and
 * `/healthz`. What `drainkit route` runs.
 *
 * @example
 * const route = await startRoute({ controlPlane: "http://127.0.0.1:7400", token, role: "edge", listen: "127.0.0.1:8080", healthCheck: { path: "/readyz" } });
 * console.log(route.url);
 * await route.close();
 */
export async function startRoute(options: RouteOptions): Promise<RunningRoute> {
  const clock = options.clock ?? systemClock();
  const logger = options.logger ?? silentLogger;
  const listen = options.listen === "none" ? undefined : hostPort(options.listen, "--listen");
  const admin = options.adminListen === undefined ? undefined : hostPort(options.adminListen, "--admin-listen");
  const metrics = promMetrics();
  const cpDispatcher = new Agent({ keepAliveTimeout: 4_000, connect: connectOptions(options.tls) });
  const upstreams = new Agent({ connect: connectOptions(options.upstreamTls) });
  const emit = options.onEvent ?? (() => {});
  let router: Router;
  try {
    router = await startRouter({
      source: controlPlaneSource({ url: options.controlPlane, token: options.token, dispatcher: cpDispatcher, clock, ...(options.pool === undefined ? {} : { pool: options.pool }) }),
      clock,
      logger,
      metrics,
      events: { emit },
    });
  } catch (e) {
    await Promise.all([cpDispatcher.close(), upstreams.close()]);
    throw e;
  }
  const proxy = createRoleProxy({
    balancer: router.balancer(options.role, { strategy: options.strategy ?? "round-robin" }),
    dispatcher: upstreams,
    ...(options.upstreamTls === undefined ? {} : { originOf: (m) => `https://${m.address}` }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.outliers === undefined ? {} : { outliers: options.outliers }),
    ...(options.healthCheck === undefined ? {} : { healthCheck: options.healthCheck }),
    clock,
    logger,
    metrics,
    events: { emit },
  });
  const server = createServer(proxy.handle);
  const grpcAt = options.grpcListen === undefined ? undefined : hostPort(options.grpcListen, "--grpc-listen");
  const label = options.grpcAddressLabel;
  const grpcProxy =
    grpcAt === undefined
      ? undefined
      : createGrpcProxy({ balancer: router.balancer(options.role, { strategy: options.strategy ?? "round-robin" }), metrics, ...(label === undefined ? {} : { addressOf: (m) => m.labels[label] ?? m.address }) });
  const grpcServer = grpcProxy === undefined ? undefined : createH2Server().on("stream", grpcProxy.handle);
  const grpcSessions = new Set<ServerHttp2Session>();
  grpcServer?.on("session", (s) => {
    grpcSessions.add(s);
    s.once("close", () => grpcSessions.delete(s));
  });
  // Clients' keep-alive sockets outlive any one upstream; a short idle timeout keeps shutdown quick.
  server.keepAliveTimeout = 5_000;
  const adminServer =
    admin === undefined
      ? undefined
      : createServer((req, res) => {
          if (req.url === "/metrics") {
            void metrics.registry.metrics().then((text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text));
          } else if (req.url === "/healthz") {
            const members = router.members(options.role).length;
            res.writeHead(members > 0 ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ role: options.role, members, outOfRotation: proxy.outOfRotation(), stats: proxy.stats() }));
          } else res.writeHead(404).end();
        });
  let url: string | undefined;
  let adminUrl: string | undefined;
  let grpcAddress: string | undefined;
  let haproxy: HaproxySync | undefined;
  let acks: RemovalAcks | undefined;
  try {
    if (options.haproxy !== undefined) {
      haproxy = await startHaproxySync({
        router,
        role: options.role,
        backend: options.haproxy.backend,
        api: haproxyRuntimeApi(options.haproxy.socket),
        clock,
        logger,
        events: { emit },
        ...(options.pool === undefined ? {} : { pool: options.pool }),
        ...(options.haproxy.serverArgs === undefined ? {} : { serverArgs: options.haproxy.serverArgs }),
      });
    }
    if (options.routerId !== undefined) {
      const sync = haproxy;
      acks = acknowledgeRemovals({
        router,
        role: options.role,
        url: options.controlPlane,
        token: options.token,
        id: options.routerId,
        dispatcher: cpDispatcher,
        logger,
        events: { emit },
        ...(options.pool === undefined ? {} : { pool: options.pool }),
        ...(sync === undefined ? {} : { applied: () => sync.settled() }),
      });
    }
    url = listen === undefined ? undefined : await listenOn(server, listen);
    adminUrl = adminServer === undefined || admin === undefined ? undefined : await listenOn(adminServer, admin);
    grpcAddress = grpcServer === undefined || grpcAt === undefined ? undefined : (await listenOn(grpcServer, grpcAt)).replace("http://", "");
  } catch (e) {
    await acks?.close();
    grpcProxy?.close();
    grpcServer?.close();
    haproxy?.close();
    router.close();
    await proxy.close();
    await Promise.all([cpDispatcher.close(), upstreams.close()]);
    server.close();
    adminServer?.close();
    throw e;
  }
  return {
    url,
    adminUrl,
    grpcAddress,
    grpcProxy,
    router,
    proxy,
    haproxy,
    close: async (graceMs = 10_000) => {
      // Released first: a drain that starts now no longer waits for this router.
      await acks?.close();
      haproxy?.close();
      const grpcClosed = new Promise<void>((resolve) => (grpcServer?.listening === true ? grpcServer.close(() => resolve()) : resolve()));
      // GOAWAY: clients open no new calls here, calls in flight finish.
      for (const s of grpcSessions) s.close();
      grpcProxy?.close();
      const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => {
        server.closeAllConnections();
        for (const s of grpcSessions) s.destroy();
      }, graceMs);
      await closed;
      await grpcClosed;
      clearTimeout(force);
      adminServer?.closeAllConnections();
      await new Promise<void>((resolve) => (adminServer === undefined ? resolve() : adminServer.close(() => resolve())));
      router.close();
      await proxy.close();
      await Promise.all([cpDispatcher.close(), upstreams.close()]);
    },
  };
}
