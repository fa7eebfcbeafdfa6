/**
 * @drainkit/store-etcd: a distributed `RegistryStore` on etcd v3 (txn
 * compare-and-swap on mod_revision, watch, lease-based leader election),
 * plus test fixtures that start real etcd clusters under
 * `@drainkit/store-etcd/testing`.
 *
 * @example
 * import { makeEtcdStore } from "@drainkit/store-etcd";
 * const store = makeEtcdStore({ hosts: ["http://etcd-0:2379", "http://etcd-1:2379", "http://etcd-2:2379"] });
 */
// @ts-nocheck

export { makeEtcdStore, type EtcdStore } from "./makeEtcdStore.ts";
export type { EtcdStoreOptions, EtcdRetryOptions } from "./EtcdStoreOptions.ts";
export { EtcdStoreError, classifyEtcdError, type EtcdStoreErrorCode } from "./errors.ts";
