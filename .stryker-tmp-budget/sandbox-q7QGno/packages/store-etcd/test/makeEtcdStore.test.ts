// @ts-nocheck
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Etcd3 } from "etcd3";
import type { Change } from "@drainkit/registry";
import { makeEtcdStore, type EtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

let etcd: EtcdCluster;
let raw: Etcd3;
const stores: EtcdStore[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  raw = new Etcd3({ hosts: etcd.endpoints });
});

afterAll(async () => {
  raw.close();
  await etcd.stop();
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function open(prefix = `/test/${randomUUID()}/`, extra: Partial<Parameters<typeof makeEtcdStore>[0]> = {}): EtcdStore {
  const store = makeEtcdStore({ hosts: etcd.endpoints, prefix, ...extra });
  stores.push(store);
  return store;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("makeEtcdStore", () => {
  it("keeps every key under its prefix, so stores with different prefixes never meet", async () => {
    const prefix = `/test/${randomUUID()}/`;
    const a = open(prefix);
    const b = open();
    const put = await a.txn({ compare: [], ops: [{ type: "put", key: "peers/x", value: { v: 1 } }] });
    expect(put.ok).toBe(true);
    expect(await b.get("peers/x")).toBeUndefined();
    expect((await b.list("")).items).toEqual([]);
    const keys = await raw.getAll().prefix(prefix).keys();
    expect(keys.every((k) => k.startsWith(prefix))).toBe(true);
    expect(keys).toHaveLength(1);
    expect(JSON.parse((await raw.get(keys[0]!).string())!)).toEqual({ v: 1 });
  });

  it("maps version to mod_revision and the store revision to etcd's header revision", async () => {
    const store = open();
    const r = await store.txn({ compare: [], ops: [{ type: "put", key: "k", value: 1 }] });
    const got = await store.get("k");
    const head = await raw.get("anything").exec();
    expect(got?.version).toBe(r.revision);
    expect(await store.revision()).toBe(Number(head.header.revision));
  });

  it("applies the last of several ops on one key (etcd refuses duplicates in a txn)", async () => {
    const store = open();
    const r = await store.txn({ compare: [], ops: [{ type: "put", key: "k", value: 1 }, { type: "delete", key: "k" }, { type: "put", key: "k", value: 3 }] });
    expect(r.ok).toBe(true);
    expect((await store.get("k"))?.value).toBe(3);
  });

  it("lists more keys than one page, as one snapshot, in key order", async () => {
    const store = open();
    const keys = Array.from({ length: 1100 }, (_, i) => `peers/${String(i).padStart(5, "0")}`);
    for (let i = 0; i < keys.length; i += 100) {
      await store.txn({ compare: [], ops: keys.slice(i, i + 100).map((key) => ({ type: "put" as const, key, value: key })) });
    }
    const listed = await store.list("peers/");
    expect(listed.items.map((i) => i.key)).toEqual(keys);
    expect(listed.revision).toBe(await store.revision());
  });

  it("reports history-compacted to a watch that starts before etcd's compaction point", async () => {
    const store = open();
    const first = await store.txn({ compare: [], ops: [{ type: "put", key: "c/1", value: 1 }] });
    const second = await store.txn({ compare: [], ops: [{ type: "put", key: "c/2", value: 2 }] });
    await raw.kv.compact({ revision: second.revision, physical: true });
    const errors: Error[] = [];
    const seen: Change[] = [];
    store.watch("c/", first.revision - 1, (c) => seen.push(c), (e) => errors.push(e));
    await until(() => errors.length > 0, "the compaction error");
    expect(errors[0]).toMatchObject({ code: "history-compacted", retryable: false });
    expect(seen).toEqual([]);
  });

  it("aborts the leadership signal when its lease is revoked behind its back", async () => {
    const store = open();
    const held = await store.campaign("e", "a", { ttlMs: 2000 });
    const leases = await raw.leaseClient.leaseLeases({});
    // Revoke every lease of this test's etcd: only this campaign holds one.
    await Promise.all(leases.leases.map((l) => raw.leaseClient.leaseRevoke({ ID: l.ID })));
    await until(() => held.signal.aborted, "the lease loss to be noticed");
    expect(held.signal.reason).toMatchObject({ code: "leadership-lost" });
    expect(await store.leader("e")).toBeUndefined();
  });

  it("aborts the leadership signal when etcd stops answering, before the lease could expire there", async () => {
    const lonely = await startEtcd();
    const store = makeEtcdStore({ hosts: lonely.endpoints, prefix: "/partition/", retry: false });
    try {
      const held = await store.campaign("e", "a", { ttlMs: 2000 });
      await lonely.stopMember(0, { kill: true });
      await until(() => held.signal.aborted, "the leader to notice it lost etcd");
      expect(held.signal.reason).toMatchObject({ code: "leadership-lost" });
    } finally {
      await store.close();
      await lonely.stop();
    }
  });

  it("answers ping false and fails calls with store-closed after close", async () => {
    const store = makeEtcdStore({ hosts: etcd.endpoints, prefix: `/test/${randomUUID()}/` });
    expect(await store.ping()).toBe(true);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.get("k")).rejects.toMatchObject({ code: "store-closed" });
  });

  it("accepts the members as one comma-separated string", async () => {
    const store = open(undefined, { hosts: ` ${etcd.endpoints.join(" , ")} ,` });
    expect((await store.txn({ compare: [], ops: [{ type: "put", key: "k", value: 1 }] })).ok).toBe(true);
    expect(() => makeEtcdStore({ hosts: " , " })).toThrow(/at least one etcd endpoint/);
  });

  it("maps an unreachable cluster to retryable store-unavailable after retrying", async () => {
    const store = open(undefined, { hosts: ["http://127.0.0.1:1"], retry: { attempts: 2, baseDelayMs: 1 }, dialTimeoutMs: 500, requestTimeoutMs: 500 });
    await expect(store.get("k")).rejects.toMatchObject({ code: "store-unavailable", retryable: true });
    expect(await store.ping()).toBe(false);
  });
});
