// @ts-nocheck
import fc from "fast-check";
import { fcParams, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type AuditEntry, type AuditQuery, type ListOptions, type RegistryStore } from "../src/index.ts";
import { makePeer, principals } from "../src/testing/index.ts";

const { operator, reader } = principals;

/** A memory store that counts the items its listings hand out, per prefix family. */
function countingStore(options: { ignoreListOptions?: boolean } = {}) {
  const inner = makeMemoryStore();
  const read = { audit: 0, index: 0, gets: 0 };
  const store: RegistryStore = {
    kind: inner.kind,
    get: (key) => {
      read.gets++;
      return inner.get(key);
    },
    list: async (prefix, listOptions?: ListOptions) => {
      const listed = options.ignoreListOptions ? await inner.list(prefix) : await inner.list(prefix, listOptions);
      if (prefix === "audit/") read.audit += listed.items.length;
      if (prefix.startsWith("audit-by-target/")) read.index += listed.items.length;
      return listed;
    },
    txn: (request) => inner.txn(request),
    revision: () => inner.revision(),
    watch: (prefix, from, onChange, onError) => inner.watch(prefix, from, onChange, onError),
    campaign: (election, candidate, o) => inner.campaign(election, candidate, o),
    leader: (election) => inner.leader(election),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  const reset = (): void => {
    read.audit = 0;
    read.index = 0;
    read.gets = 0;
  };
  return { store, read, reset };
}

async function fill(store: RegistryStore, peers: number, rounds: number) {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store, clock, random: new SeededRandom(9) });
  const ids = Array.from({ length: peers }, (_, i) => `p-${i}`);
  await Promise.all(ids.map((id) => registry.registerPeer(operator, makePeer({ id }))));
  for (let r = 0; r < rounds; r++) {
    clock.advance(1_000);
    await Promise.all(ids.map((id) => (r % 2 === 0 ? registry.cordon(operator, id, { reason: `r${r}` }) : registry.uncordon(operator, id, {}))));
  }
  return { registry, clock };
}

async function everything(registry: ReturnType<typeof createRegistry>, query: AuditQuery): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await registry.queryAudit(reader, { ...query, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

describe("queryAudit reads only what the page needs", () => {
  it("reads one page (plus one entry) of an unfiltered log, wherever the cursor points", async () => {
    const { store, read, reset } = countingStore();
    const { registry } = await fill(store, 50, 20); // 1 050 entries
    reset();
    const first = await registry.queryAudit(reader, { limit: 10 });
    expect(first.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.nextCursor).toBe("10");
    expect(read.audit).toBeLessThanOrEqual(11);
    reset();
    const later = await registry.queryAudit(reader, { limit: 10, cursor: "900" });
    expect(later.items[0]?.seq).toBe(901);
    expect(read.audit).toBeLessThanOrEqual(11);
  });

  it("answers a target query from the index: reads that target's entries, not the log", async () => {
    const { store, read, reset } = countingStore();
    const { registry } = await fill(store, 50, 20);
    reset();
    const page = await registry.queryAudit(reader, { target: "peer/p-7" });
    expect(page.items).toHaveLength(21);
    expect(page.items.every((e) => e.target === "peer/p-7")).toBe(true);
    expect(read.audit).toBe(0);
    expect(read.index).toBeLessThanOrEqual(22);
    expect(read.gets).toBeLessThanOrEqual(23);
  });

  it("pages every filter combination exactly like a filter over the whole log (property)", async () => {
    const { store } = countingStore();
    const { registry } = await fill(store, 6, 6);
    const all = await everything(registry, { limit: 1_000 });
    expect(all).toHaveLength(42);
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            target: fc.constantFrom("peer/p-0", "peer/p-5", "peer/none"),
            action: fc.constantFrom("cordon", "uncordon", "registerPeer"),
            actor: fc.constantFrom("operator", "someone"),
            from: fc.integer({ min: 1_000_000, max: 1_007_000 }),
            to: fc.integer({ min: 1_000_000, max: 1_007_000 }),
          },
          { requiredKeys: [] },
        ),
        fc.integer({ min: 1, max: 8 }),
        async (query, limit) => {
          if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
            // A range that ends before it starts is a mistake in the query, not an empty answer.
            await expect(everything(registry, { ...query, limit })).rejects.toMatchObject({ code: "validation", details: { field: "to" } });
            return;
          }
          const got = await everything(registry, { ...query, limit });
          const want = all.filter(
            (e) =>
              (query.target === undefined || e.target === query.target) &&
              (query.action === undefined || e.action === query.action) &&
              (query.actor === undefined || e.actor === query.actor) &&
              (query.from === undefined || e.at >= query.from) &&
              (query.to === undefined || e.at < query.to),
          );
          expect(got.map((e) => e.seq)).toEqual(want.map((e) => e.seq));
        },
      ),
      fcParams({ numRuns: 80 }),
    );
  });

  it("still answers correctly on a store that ignores list options", async () => {
    const { store } = countingStore({ ignoreListOptions: true });
    const { registry } = await fill(store, 5, 4);
    expect((await everything(registry, { limit: 3 })).map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect((await everything(registry, { target: "peer/p-2", limit: 2 })).map((e) => e.target)).toEqual(Array(5).fill("peer/p-2"));
  });
});
