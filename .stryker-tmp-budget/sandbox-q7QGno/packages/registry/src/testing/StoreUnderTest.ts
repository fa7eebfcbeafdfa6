// @ts-nocheck
import type { RegistryStore } from "../store.ts";

/** What a store factory hands the conformance suite. */
export interface StoreUnderTest {
  readonly store: RegistryStore;
  /** Closes the store and removes whatever it created (files, etcd prefix). */
  cleanup(): Promise<void>;
  /**
   * A second, independent client on the same data (a second control-plane
   * replica). Enables the leader-failover and multi-replica cases.
   */
  connect?(): Promise<RegistryStore>;
}

/** Knobs for slow or remote stores. */
export interface ConformanceOptions {
  /** Per-case timeout; default 30 s. */
  readonly timeoutMs?: number;
  /** TTL used in the lease cases; default 1000 ms. */
  readonly leaseTtlMs?: number;
  /** Operators in the pool race; default 50. */
  readonly racers?: number;
}
