// @ts-nocheck
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Etcd3 } from "etcd3";
import { makeEtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

let etcd: EtcdCluster;
let raw: Etcd3;

beforeAll(async () => {
  etcd = await startEtcd();
  raw = new Etcd3({ hosts: etcd.endpoints });
});

afterAll(async () => {
  raw.close();
  await etcd?.stop();
});

describe("txn markers", () => {
  it("hang on a lease of the writing process, so a replica that dies leaves none behind; a lost lease is granted anew", async () => {
    const prefix = `/markers-${process.pid}/`;
    const store = makeEtcdStore({ hosts: etcd.endpoints, prefix });
    try {
      for (let i = 0; i < 3; i++) expect((await store.txn({ compare: [{ key: `k${i}`, version: 0 }], ops: [{ type: "put", key: `k${i}`, value: i }] })).ok).toBe(true);
      const markers = await raw.getAll().prefix(`${prefix}txn/`).exec();
      expect(markers.kvs.length).toBeGreaterThan(0);
      const leases = new Set(markers.kvs.map((kv) => String(kv.lease)));
      expect(leases.has("0")).toBe(false);
      expect(leases.size).toBe(1);

      // What etcd does when the process dies and its keep-alives stop: the lease ends, the markers go.
      await raw.leaseClient.leaseRevoke({ ID: [...leases][0]! });
      expect((await raw.getAll().prefix(`${prefix}txn/`).keys()).length).toBe(0);

      // The store notices on its next conditional write and carries on with a new lease.
      expect((await store.txn({ compare: [{ key: "after", version: 0 }], ops: [{ type: "put", key: "after", value: 1 }] })).ok).toBe(true);
      const again = await raw.getAll().prefix(`${prefix}txn/`).exec();
      expect(again.kvs.length).toBe(1);
      expect(String(again.kvs[0]!.lease)).not.toBe([...leases][0]);
      expect(String(again.kvs[0]!.lease)).not.toBe("0");
    } finally {
      await store.close();
    }
    expect((await raw.getAll().prefix(`${prefix}txn/`).keys()).length).toBe(0);
  });
});
