/**
 * @drainkit/routing: role-aware routing that stops sending new traffic to
 * draining, drained and failed roles while existing sessions finish; a reverse
 * proxy on undici; and DNS pools kept in step through the {@link DnsPoolProvider}
 * port (RFC 2136 dynamic updates with TSIG).
 */
// @ts-nocheck

export { startRouter, type Router, type RouterOptions, type BalancerOptions } from "./Router.ts";
export { registrySource, type PeerSource, type RoutingPeer, type RoutingChange } from "./source.ts";
export type { Balancer, RouteLease, RouteMember, RouteChange, RouterEvent, RoleView, Strategy, StrategyName } from "./types.ts";
export { roundRobin } from "./strategies/roundRobin.ts";
export { leastInFlight } from "./strategies/leastInFlight.ts";
export { consistentHash, hash32, type ConsistentHashOptions } from "./strategies/consistentHash.ts";
export { isRoutable, servesExisting, type StaleFlag } from "./peerState.ts";
export { NoRoutableMemberError, SessionKeyRequiredError, RouterNotReadyError, DnsUpdateError, type DnsUpdateFailure } from "./errors.ts";
export type { DnsPoolEntry, DnsPoolProvider } from "./dns/DnsPoolProvider.ts";
export { makeRfc2136Provider, type Rfc2136Options } from "./dns/rfc2136.ts";
export type { DnsServer } from "./dns/transport.ts";
export type { TsigKey } from "./dns/wire.ts";
export { startDnsPoolSync, type DnsPoolSync, type DnsPoolSyncOptions, type DnsPoolSyncEvent } from "./dns/DnsPoolSync.ts";
export { createRoleProxy, DRAINING_HEADER, type RoleProxy, type RoleProxyOptions, type RoleProxyEvent, type RoleProxyStats } from "./proxy/createRoleProxy.ts";
export { createGrpcProxy, type GrpcProxy, type GrpcProxyOptions } from "./proxy/createGrpcProxy.ts";
export { IDEMPOTENT_METHODS, type RetryOptions, type RetryReason } from "./proxy/retryPolicy.ts";
export type { OutlierOptions } from "./proxy/outliers.ts";
export type { HealthCheckOptions } from "./proxy/healthChecks.ts";
export { createGrpcBalancer, type GrpcBalancer, type GrpcBalancerOptions, type ClosableClient } from "./grpc/createGrpcBalancer.ts";
export { controlPlaneSource, ControlPlaneReadError, type ControlPlaneSourceOptions } from "./remote/controlPlaneSource.ts";
export { acknowledgeRemovals, type RemovalAcks, type RemovalAcksOptions, type RemovalAckEvent } from "./remote/removalAcks.ts";
export { startRoute, type RouteOptions, type RouteTls, type RunningRoute } from "./route/startRoute.ts";
export { runRoute, parseRouteArgs, RouteUsageError, ROUTE_HELP, type RouteIo } from "./route/runRoute.ts";
export { haproxyRuntimeApi, HaproxyCommandError, type HaproxyRuntimeApi, type HaproxyServer } from "./haproxy/runtimeApi.ts";
export { startHaproxySync, haproxyStateOf, type HaproxySync, type HaproxySyncOptions, type HaproxySyncEvent, type HaproxyServerState } from "./haproxy/HaproxySync.ts";
