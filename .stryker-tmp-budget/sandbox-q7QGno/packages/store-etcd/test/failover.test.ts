// @ts-nocheck
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Etcd3 } from "etcd3";
import { systemClock } from "@drainkit/core";
import { createRegistry } from "@drainkit/registry";
import { makePeer, principals } from "@drainkit/registry/testing";
import type { Change } from "@drainkit/registry";
import { makeEtcdStore, type EtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

let etcd: EtcdCluster;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
  store = makeEtcdStore({ hosts: etcd.endpoints, prefix: "/failover/" });
});

afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

/** Index of the member that currently leads the raft group (waiting out an election in progress). */
async function leaderIndex(endpoints: readonly string[]): Promise<number> {
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < endpoints.length; i++) {
      const client = new Etcd3({ hosts: endpoints[i]! });
      try {
        const status = await client.maintenance.status();
        if (status.leader === status.header.member_id) return i;
      } catch {
        // a member that does not answer does not lead
      } finally {
        client.close();
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no member reports itself as leader");
}

/** One registry-style mutation: create a peer and its audit entry in one CAS txn. */
async function mutate(n: number): Promise<void> {
  const peer = { n, address: `10.0.0.${n % 250}` };
  const result = await store.txn({
    compare: [{ key: `peers/${n}`, version: 0 }],
    ops: [
      { type: "put", key: `peers/${n}`, value: peer },
      { type: "put", key: `audit/${String(n).padStart(6, "0")}`, value: { n, action: "register" } },
    ],
  });
  // Even a retry after the old leader committed and died before answering
  // must come back as the success it was.
  expect(result.ok).toBe(true);
}

describe("a 3-member etcd cluster", () => {
  it("keeps accepting mutations while the leader member crashes mid-run", async () => {
    const total = 300;
    const stopAt = 100;
    const victim = await leaderIndex(etcd.endpoints);
    const seen: Change[] = [];
    const errors: Error[] = [];
    const watch = store.watch("peers/", await store.revision(), (c) => seen.push(c), (e) => errors.push(e));
    let acked = 0;
    let stopped: Promise<void> | undefined;
    for (let n = 0; n < total; n++) {
      await mutate(n);
      acked++;
      // Kill the leader without waiting, so mutations run into the election.
      if (acked === stopAt) stopped = etcd.stopMember(victim, { kill: true });
    }
    await stopped;
    expect(acked).toBe(total);
    expect((await store.list("peers/")).items).toHaveLength(total);
    expect((await store.list("audit/")).items).toHaveLength(total);
    expect(await leaderIndex(etcd.endpoints.filter((_, i) => i !== victim))).toBeGreaterThanOrEqual(0);

    // A watch open across the crash resumes on a surviving member: every change once, in order.
    for (let i = 0; i < 400 && seen.length < total; i++) await new Promise((r) => setTimeout(r, 25));
    watch.close();
    expect(errors).toEqual([]);
    expect(seen.map((c) => c.key)).toEqual(Array.from({ length: total }, (_, n) => `peers/${n}`));

    // The stopped member catches up when it comes back.
    await etcd.restartMember(victim);
    const alone = makeEtcdStore({ hosts: etcd.endpoints[victim]!, prefix: "/failover/" });
    try {
      for (let i = 0; i < 200 && (await alone.list("peers/")).items.length < total; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await alone.list("peers/")).items).toHaveLength(total);
    } finally {
      await alone.close();
    }
  });

  it("keeps registry mutations and their audit chain intact while the leader member crashes", async () => {
    const registryStore = makeEtcdStore({ hosts: etcd.endpoints, prefix: "/failover-registry/" });
    const registry = createRegistry({ store: registryStore, clock: systemClock() });
    const victim = await leaderIndex(etcd.endpoints);
    const acked: string[] = [];
    let stopped: Promise<void> | undefined;
    for (let n = 0; n < 150; n++) {
      const id = `web-${n}`;
      await registry.registerPeer(principals.agent(id), makePeer({ id }));
      acked.push(id);
      if (acked.length === 50) stopped = etcd.stopMember(victim, { kill: true });
    }
    await stopped;
    for (const id of acked) expect((await registry.getPeer(principals.reader, id)).peer.id).toBe(id);
    expect(await registry.verifyAudit()).toMatchObject({ ok: true });
    await registryStore.close();
    await etcd.restartMember(victim);
  });
});
