/**
 * Test support for routing users: a real BIND 9 and a real HAProxy on loopback ports, and an
 * in-memory {@link PeerSource} to drive a router without a registry.
 *
 * @example
 * import { startBind9, memoryPeerSource } from "@drainkit/routing/testing";
 */
// @ts-nocheck

export { startBind9, findNamed, type Bind9, type Bind9Options } from "./bind9.ts";
export { memoryPeerSource, type MemoryPeerSource } from "./memoryPeerSource.ts";
export { startHaproxy, findHaproxy, type Haproxy, type HaproxyOptions } from "./haproxy.ts";
