import { describe, expect, it } from "vitest";
import { silentLogger } from "@drainkit/core";
import { flushMicrotasks, MemoryMetrics, SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, type Fence, type Leadership as Held, type RegistryStore } from "@drainkit/registry";
import { Leadership } from "../src/leadership.ts";

/** A store whose campaigns the test wins and ends by hand; everything else is a real memory store. */
function electionStore(log: string[]) {
  const base = makeMemoryStore();
  const terms: { lose(reason: string): void; fence: Fence }[] = [];
  const waiting: (() => void)[] = [];
  let wins = 0;
  const store: RegistryStore = {
    ...base,
    kind: "memory",
    get: (k) => base.get(k),
    list: (p, o) => base.list(p, o),
    txn: (r) => base.txn(r),
    revision: () => base.revision(),
    watch: (p, f, c, e) => base.watch(p, f, c, e),
    leader: async () => undefined,
    ping: async () => true,
    close: () => base.close(),
    campaign: (_election, candidate, options) =>
      new Promise<Held>((resolve, reject) => {
        log.push("campaign");
        const entry = (): void => {
          const controller = new AbortController();
          const fence: Fence = { election: "control-plane", holder: candidate, revision: ++wins };
          terms.push({ lose: (reason) => controller.abort(new Error(reason)), fence });
          resolve({
            signal: controller.signal,
            candidate,
            fence,
            resign: async () => {
              log.push(`resign ${fence.revision}`);
              controller.abort(new Error("resigned"));
            },
          });
        };
        waiting.push(entry);
        options.signal?.addEventListener("abort", () => {
          const i = waiting.indexOf(entry);
          if (i < 0) return;
          waiting.splice(i, 1);
          log.push("campaign given up");
          reject(options.signal!.reason as Error);
        });
      }),
  };
  return { store, terms, win: () => waiting.shift()?.(), campaigns: () => waiting.length };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await flushMicrotasks();
};

describe("Leadership", () => {
  it("hands the lease back before stopping the controllers when a term ends, then campaigns afresh; the term carries its fence", async () => {
    const log: string[] = [];
    const { store, terms, win, campaigns } = electionStore(log);
    const metrics = new MemoryMetrics();
    const fences: (Fence | undefined)[] = [];
    const leadership = new Leadership({
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      candidate: "r1",
      metrics,
      work: async (_signal, term) => {
        fences.push(term.fence);
        log.push(`start ${term.fence?.revision}`);
        return () => void log.push(`stop ${term.fence?.revision}`);
      },
    });
    expect(metrics.value("leader", { replica: "r1" })).toBe(0);
    leadership.start();
    await settle();
    win();
    await settle();
    expect(leadership.leading).toBe(true);
    expect(metrics.value("leader", { replica: "r1" })).toBe(1);
    expect(fences).toEqual([terms[0]!.fence]);

    // The lease is lost without this replica resigning (a partition): it resigns anyway, first.
    terms[0]!.lose("keep-alives stopped arriving");
    await settle();
    expect(leadership.leading).toBe(false);
    expect(metrics.value("leader", { replica: "r1" })).toBe(0);
    expect(log).toEqual(["campaign", "start 1", "resign 1", "stop 1", "campaign"]);
    expect(campaigns()).toBe(1);

    win();
    await settle();
    expect(leadership.leading).toBe(true);
    expect(metrics.value("leader_terms_total", { replica: "r1", event: "started" })).toBe(2);
    expect(metrics.value("leader_terms_total", { replica: "r1", event: "ended" })).toBe(1);
    await leadership.stop();
    expect(log.slice(-2)).toEqual(["resign 2", "stop 2"]);
    expect(metrics.value("leader", { replica: "r1" })).toBe(0);
  });

  it("hands the lease on when the controllers fail to start, rather than holding it idle", async () => {
    const log: string[] = [];
    const { store, win } = electionStore(log);
    const clock = new SimulatedClock();
    let attempt = 0;
    const leadership = new Leadership({
      store,
      clock,
      logger: silentLogger,
      candidate: "r1",
      work: async () => {
        if (++attempt === 1) throw new Error("store down");
        return () => {};
      },
    });
    leadership.start();
    await settle();
    win();
    await settle();
    expect(log).toEqual(["campaign", "resign 1"]);
    expect(leadership.leading).toBe(false);
    clock.advance(500);
    await settle();
    win();
    await settle();
    expect(log).toEqual(["campaign", "resign 1", "campaign"]);
    expect(leadership.leading).toBe(true);
    await leadership.stop();
  });

  it("a replica that stands down gives up its campaign, keeps a term until it hands over, and campaigns again once it stands", async () => {
    const log: string[] = [];
    const { store, win, campaigns } = electionStore(log);
    const leadership = new Leadership({
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      candidate: "r1",
      work: async (_signal, term) => {
        log.push(`start ${term.fence?.revision}`);
        return () => void log.push(`stop ${term.fence?.revision}`);
      },
    });
    leadership.start();
    await settle();
    leadership.stand(false);
    await settle();
    expect(log).toEqual(["campaign", "campaign given up"]);
    expect(campaigns()).toBe(0);

    leadership.stand(true);
    await settle();
    win();
    await settle();
    expect(leadership.leading).toBe(true);
    // Standing down does not end a term: the elector rules decide when to hand over.
    leadership.stand(false);
    await settle();
    expect(leadership.leading).toBe(true);
    leadership.handOver();
    await settle();
    expect(leadership.leading).toBe(false);
    expect(log.slice(2)).toEqual(["campaign", "start 1", "resign 1", "stop 1"]);
    expect(campaigns()).toBe(0);

    leadership.stand(true);
    await settle();
    expect(campaigns()).toBe(1);
    await leadership.stop();
  });
});
