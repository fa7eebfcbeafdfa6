// @ts-nocheck
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEtcdStore, type EtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

let etcd: EtcdCluster;
const stores: EtcdStore[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await etcd?.stop();
});

const open = (prefix: string): EtcdStore => {
  const s = makeEtcdStore({ hosts: etcd.endpoints, prefix });
  stores.push(s);
  return s;
};

describe("fenced leader writes", () => {
  it("are applied while the campaign holds and refused with `fenced` once it is gone, also for a compare-free txn", async () => {
    const prefix = `/fence-${process.pid}/`;
    const [a, b] = [open(prefix), open(prefix)];
    const first = await a.campaign("e", "a", { ttlMs: 2000 });
    expect(first.fence).toMatchObject({ election: "e", revision: expect.any(Number) });
    const put = (value: number, fence = first.fence) => a.txn({ compare: [], ops: [{ type: "put", key: "rollout", value }], ...(fence ? { fence } : {}) });
    expect((await put(1)).ok).toBe(true);
    const current = await a.get("rollout");
    // A conditional write and a blind one both carry the fence.
    expect((await a.txn({ compare: [{ key: "rollout", version: current!.version }], ops: [{ type: "put", key: "rollout", value: 2 }], fence: first.fence! })).ok).toBe(true);

    const second = b.campaign("e", "b", { ttlMs: 2000 });
    await first.resign();
    const next = await second;
    await expect(put(3)).rejects.toMatchObject({ code: "fenced", retryable: false, details: { election: "e" } });
    const stale = await a.get("rollout");
    await expect(a.txn({ compare: [{ key: "rollout", version: stale!.version }], ops: [{ type: "put", key: "rollout", value: 4 }], fence: first.fence! })).rejects.toMatchObject({ code: "fenced" });
    expect((await a.get("rollout"))?.value).toBe(2);

    // The new leader's fence is a later term and its writes go through.
    expect(next.fence!.revision).toBeGreaterThan(first.fence!.revision);
    expect((await b.txn({ compare: [], ops: [{ type: "put", key: "rollout", value: 5 }], fence: next.fence! })).ok).toBe(true);
    // A real conflict under a valid fence is still an ordinary conflict, not `fenced`.
    const conflict = await b.txn({ compare: [{ key: "rollout", version: stale!.version }], ops: [{ type: "put", key: "rollout", value: 6 }], fence: next.fence! });
    expect(conflict).toMatchObject({ ok: false, conflicts: ["rollout"] });
    await next.resign();
  });
});
