/**
 * Test support for registry stores and registry users: the store conformance
 * suite every adapter runs, and fixtures (principals per scope, a peer factory).
 *
 * @example
 * import { runRegistryStoreConformance, principals, makePeer } from "@drainkit/registry/testing";
 */
// @ts-nocheck

export { runRegistryStoreConformance, type StoreUnderTest, type ConformanceOptions } from "./conformance.ts";
export { principals, makePeer, registerLive } from "./fixtures.ts";
export { measureThroughput, type Throughput } from "./throughput.ts";
