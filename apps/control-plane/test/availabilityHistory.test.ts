import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "@drainkit/core/testing";
import type { Authenticator } from "@drainkit/http";
import { createRegistry, makeMemoryStore, type Registry } from "@drainkit/registry";
import { principals, registerLive } from "@drainkit/registry/testing";
import { AvailabilityHistory, startAvailabilitySampler, type AvailabilityPoint } from "../src/availabilityHistory.ts";
import { registerAvailabilityHistory } from "../src/historyRoute.ts";

// The real registry on a memory store and the real route on Fastify; the clock is simulated.
const authenticator: Authenticator = {
  authenticate: async (t) => (t === "reader" ? { id: "alice", scopes: ["mesh.read"] } : t === "none" ? { id: "carol", scopes: [] } : undefined),
};
const POOLS = [{ name: "web", maxUnavailable: 1 }];
const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let app: FastifyInstance | undefined;
let stopSampler: (() => void) | undefined;
afterEach(async () => {
  stopSampler?.();
  await app?.close();
});

/** Lets the sampler's reads (promises on the memory store) and the feed's callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function rig(): Promise<{ clock: SimulatedClock; registry: Registry; history: AvailabilityHistory; get: (query?: string, token?: string) => Promise<{ status: number; body: Record<string, unknown> }> }> {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store: makeMemoryStore(), clock, pools: POOLS });
  for (const id of ["web-1", "web-2", "web-3"]) await registerLive(registry, { id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
  const history = new AvailabilityHistory();
  stopSampler = startAvailabilitySampler({ registry, clock, principal: principals.admin, logger, pools: POOLS, history, everyMs: 5_000, settleMs: 200 }).stop;
  app = Fastify();
  registerAvailabilityHistory(app, { authenticator, history, pools: POOLS, clock });
  await app.ready();
  await settle();
  const get = async (query = "", token = "reader"): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await app!.inject({ url: `/control/history/availability${query}`, headers: token === "" ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  return { clock, registry, history, get };
}

const counts = (points: unknown): [number, number, number][] => (points as AvailabilityPoint[]).map((p) => [p.t, p.pools["web"]!.available, p.pools["web"]!.total]);

describe("GET /control/history/availability", () => {
  it("records a step when a drain takes a member out, at the time it happened, and serves it to a reader", async () => {
    const { clock, registry, get } = await rig();
    clock.advance(1_500);
    await registry.drain(principals.operator, "web-2", { reason: "kernel", deadlineMs: 600_000 });
    await settle();
    clock.advance(200); // the sampler batches a step's changes for settleMs
    await settle();
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ now: 1_001_700, since: 0, pools: POOLS });
    // 3 of 3 from the start, 2 of 3 once web-2 drains; nothing in between (no slope).
    expect(counts(res.body["points"])).toEqual([
      [1_000_000, 3, 3],
      [1_001_700, 2, 3],
    ]);
    // ?since= starts with the point in force then.
    expect(counts((await get("?since=1001000")).body["points"])).toEqual([
      [1_000_000, 3, 3],
      [1_001_700, 2, 3],
    ]);
    expect(counts((await get("?since=1001700")).body["points"])).toEqual([[1_001_700, 2, 3]]);
  });

  it("counts a silent agent as unavailable once its liveness lapses, with no write to announce it", async () => {
    const { clock, registry, get } = await rig();
    // web-1 and web-2 keep reporting; web-3 falls silent.
    for (let t = 0; t < 7; t++) {
      clock.advance(5_000);
      for (const id of ["web-1", "web-2"]) await registry.reportStatus(principals.operator, id, { roles: {}, epoch: 0 });
      await settle();
      clock.advance(200);
      await settle();
    }
    const points = counts((await get()).body["points"]);
    expect(points[0]).toEqual([1_000_000, 3, 3]);
    expect(points.at(-1)!.slice(1)).toEqual([2, 3]);
    // The default liveness window is 30 s: the drop is seen after it, never before.
    expect(points.at(-1)![0]).toBeGreaterThan(1_030_000);
  });

  it("refuses without a token (401), without mesh.read (403), and a since that is not epoch ms (400), as problem+json", async () => {
    const { get } = await rig();
    expect(await get("", "")).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
    expect(await get("", "wrong")).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
    const forbidden = await get("", "none");
    expect(forbidden).toMatchObject({ status: 403, body: { code: "forbidden" } });
    expect(forbidden.body["detail"]).toContain("carol holds no scope");
    expect(await get("?since=yesterday")).toMatchObject({ status: 400, body: { code: "validation", errors: [{ field: "since" }] } });
  });
});

describe("AvailabilityHistory", () => {
  const at = (available: number) => ({ web: { available, total: 4 } });

  it("keeps change points only, bounded by count and by age (the newest always kept)", () => {
    const h = new AvailabilityHistory({ keep: 3, maxAgeMs: 10_000 });
    expect(h.record(0, at(4))).toBe(true);
    expect(h.record(1_000, at(4))).toBe(false);
    for (const [t, n] of [[2_000, 3], [3_000, 2], [4_000, 3]] as const) h.record(t, at(n));
    expect(h.since().map((p) => p.t)).toEqual([2_000, 3_000, 4_000]);
    h.record(60_000, at(4));
    expect(h.since().map((p) => p.t)).toEqual([60_000]);
    // A point never precedes the one before it, even if the clock stepped back.
    h.record(59_000, at(1));
    expect(h.since().map((p) => p.t)).toEqual([60_000, 60_000]);
    expect(h.since(70_000).map((p) => p.pools["web"]!.available)).toEqual([1]);
  });
});
