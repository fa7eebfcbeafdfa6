/**
 * Test fixtures for anything that needs a real etcd: {@link startEtcd}
 * starts a one- or three-member cluster (containers when a runtime answers,
 * else local processes) and tears it down again.
 *
 * @example
 * import { startEtcd } from "@drainkit/store-etcd/testing";
 * const etcd = await startEtcd();
 * // ... makeEtcdStore({ hosts: etcd.endpoints }) ...
 * await etcd.stop();
 */
// @ts-nocheck

export { startEtcd, type StartEtcdOptions, type EtcdCluster } from "./startEtcd.ts";
