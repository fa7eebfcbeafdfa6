// @ts-nocheck
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

let etcd: EtcdCluster;

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  await etcd?.stop();
});

describe("compact", () => {
  it("drops history before a revision: a watcher that falls behind gets history-compacted, re-lists and watches on", async () => {
    const store = makeEtcdStore({ hosts: etcd.endpoints, prefix: `/compact-${process.pid}/` });
    try {
      const start = await store.revision();
      for (let i = 0; i < 10; i++) await store.txn({ compare: [], ops: [{ type: "put", key: "peers/a", value: { n: i } }] });
      const head = await store.revision();
      await store.compact(head - 2);
      // Compacting again, or below the last compaction, is a no-op; past the head is capped.
      await store.compact(head - 5);
      await store.compact(head + 1_000);

      const behind = await new Promise<Error>((resolve) => {
        const w = store.watch("peers/", start, () => {}, (e) => {
          w.close();
          resolve(e);
        });
      });
      expect((behind as { code?: string }).code).toBe("history-compacted");

      // Re-list, then watch from the listing's revision: nothing is missed.
      const listed = await store.list("peers/");
      expect(listed.items.map((i) => i.value)).toEqual([{ n: 9 }]);
      const seen: unknown[] = [];
      const w = store.watch("peers/", listed.revision, (c) => seen.push(c.value));
      await store.txn({ compare: [], ops: [{ type: "put", key: "peers/a", value: { n: 10 } }] });
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
      w.close();
      expect(seen).toEqual([{ n: 10 }]);
    } finally {
      await store.close();
    }
  });
});
