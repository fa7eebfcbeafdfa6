// @ts-nocheck
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { runRegistryStoreConformance } from "@drainkit/registry/testing";
import { makeEtcdStore, type EtcdStore } from "../src/index.ts";
import { startEtcd } from "../src/testing/index.ts";

// One etcd for the file; every case gets its own key prefix.
const etcd = startEtcd({ members: 1 });
afterAll(async () => (await etcd).stop());

runRegistryStoreConformance("etcd (1 member)", async () => {
  const { endpoints } = await etcd;
  const prefix = `/conformance/${randomUUID()}/`;
  const opened: EtcdStore[] = [];
  const open = (): EtcdStore => {
    const store = makeEtcdStore({ hosts: endpoints, prefix });
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    connect: async () => open(),
    cleanup: async () => {
      for (const s of opened) await s.close();
    },
  };
});
