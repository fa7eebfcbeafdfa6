// @ts-nocheck
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Leadership } from "@drainkit/registry";
import { makeEtcdStore, type EtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

// The wedge of issue #23: a replica whose lease keep-alives stall while the
// etcd leader member is down gives up leadership locally and campaigns again,
// but its old lease was neither revoked nor released; once etcd is back the
// old keep-alives succeed, the old key stays at the head of the election and
// nobody (not even the replica itself) is ever elected again.

const TTL_MS = 2000;
const ROUNDS = 5;
const election = "wedge";

let etcd: EtcdCluster;
const stores: EtcdStore[] = [];

beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
}, 60_000);

afterAll(async () => {
  for (const s of stores) await s.close();
  await etcd?.stop();
});

/** A replica's election loop reduced to its essence: campaign, hold until lost, campaign again. */
function replica(store: EtcdStore, candidate: string, stop: AbortSignal): { leading: () => Leadership | undefined; losses: () => number } {
  let current: Leadership | undefined;
  let losses = 0;
  void (async () => {
    while (!stop.aborted) {
      try {
        const lead = await store.campaign(election, candidate, { ttlMs: TTL_MS, signal: stop });
        current = lead;
        await new Promise<void>((resolve) => {
          if (lead.signal.aborted || stop.aborted) return resolve();
          lead.signal.addEventListener("abort", () => resolve(), { once: true });
          stop.addEventListener("abort", () => resolve(), { once: true });
        });
        current = undefined;
        if (!stop.aborted) losses++;
      } catch {
        current = undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return { leading: () => (current?.signal.aborted === false ? current : undefined), losses: () => losses };
}

describe("campaigns across a killed and restarted etcd leader member", () => {
  it(`elect a leader within the lease TTL + 2 s after each restart (${ROUNDS} rounds)`, async () => {
    const prefix = `/wedge-${process.pid}/`;
    const stop = new AbortController();
    const replicas = ["a", "b"].map((id) => {
      const s = makeEtcdStore({ hosts: etcd.endpoints, prefix, requestTimeoutMs: 1500 });
      stores.push(s);
      return replica(s, id, stop.signal);
    });
    const anyLeader = (): boolean => replicas.some((r) => r.leading() !== undefined);
    const history: { round: number; member: number; lostLocally: number; pollsAfterHeal: number; electedAfterHeal: boolean }[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        while (!anyLeader()) await new Promise((r) => setTimeout(r, 50));
        const lossesBefore = replicas.reduce((n, r) => n + r.losses(), 0);
        const member = await etcd.leaderMember();
        await etcd.stopMember(member, { kill: true });
        await new Promise((r) => setTimeout(r, 4000));
        await etcd.restartMember(member);
        // Poll every 100 ms for TTL + 2 s: the bound is a count of polls, read from the history.
        const budget = (TTL_MS + 2000) / 100;
        let polls = 0;
        while (!anyLeader() && polls < budget) {
          await new Promise((r) => setTimeout(r, 100));
          polls++;
        }
        history.push({ round, member, lostLocally: replicas.reduce((n, r) => n + r.losses(), 0) - lossesBefore, pollsAfterHeal: polls, electedAfterHeal: anyLeader() });
        if (!anyLeader()) break;
      }
    } finally {
      stop.abort();
      console.log(`leader after each etcd leader-member kill (TTL ${TTL_MS} ms, 100 ms polls): ${JSON.stringify(history)}`);
    }
    expect(history.filter((h) => h.electedAfterHeal)).toHaveLength(ROUNDS);
  }, 180_000);
});
