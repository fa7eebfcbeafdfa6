// @ts-nocheck
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, register } from "./client.ts";

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE stream until `until` says stop (or the stream ends); returns what arrived. */
async function readEvents(res: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const ev: SseEvent = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) ev.comment = line.slice(1).trim();
        else if (line.startsWith("id: ")) ev.id = line.slice(4);
        else if (line.startsWith("event: ")) ev.event = line.slice(7);
        else if (line.startsWith("data: ")) ev.data = line.slice(6);
      }
      events.push(ev);
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

let api: TestControlApi;
afterEach(async () => {
  await api.close();
});

describe("/control/events", () => {
  it("streams changes with revision ids and resumes exactly after Last-Event-ID", async () => {
    api = await startTestControlApi();
    const res = await fetch(`${api.url}/control/events?kinds=peer`, { headers: api.auth("mesh.read") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const live = readEvents(res, (evs) => evs.filter((e) => e.event === "peer").length >= 2);
    await register(api, "web-1");
    await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "kernel" });
    const got = (await live).filter((e) => e.event === "peer");
    expect(got.map((e) => (JSON.parse(e.data!) as { value: { phase: string } }).value.phase)).toEqual(["active", "cordoned"]);
    const firstId = got[0]!.id!;

    // Reconnect as if the connection dropped after the first event.
    const resumed = await fetch(`${api.url}/control/events?kinds=peer`, { headers: { ...api.auth("mesh.read"), "last-event-id": firstId } });
    const replay = await readEvents(resumed, (evs) => evs.some((e) => e.event === "peer"));
    const first = replay.find((e) => e.event === "peer")!;
    expect(first.id).toBe(got[1]!.id);
    expect((JSON.parse(first.data!) as { value: { phase: string } }).value.phase).toBe("cordoned");
  });

  it("sends heartbeats while idle", async () => {
    api = await startTestControlApi({ events: { heartbeatMs: 50 } });
    const res = await fetch(`${api.url}/control/events`, { headers: api.auth("mesh.read") });
    const evs = await readEvents(res, (e) => e.filter((x) => x.comment === "heartbeat").length >= 2);
    expect(evs.filter((x) => x.comment === "heartbeat").length).toBeGreaterThanOrEqual(2);
  });

  it("cuts a subscriber whose unsent buffer passes the bound; it resumes without loss from Last-Event-ID", async () => {
    api = await startTestControlApi({ events: { maxBufferedBytes: 4096 } });
    for (let i = 0; i < 40; i++) await register(api, `web-${i}`, { metadata: { blob: "x".repeat(400) } });
    // since=0 replays 40 big changes at once: far more than 4 KiB queued for a reader that reads nothing yet.
    const res = await fetch(`${api.url}/control/events?since=0&kinds=peer`, { headers: api.auth("mesh.read") });
    const first = await readEvents(res, () => false);
    expect(first.at(-1)?.event).toBe("overflow");
    const all = first.filter((e) => e.event === "peer");
    expect(all.length).toBeLessThan(40);
    // Each reconnect resumes after the last id seen; a cut stream loses nothing.
    for (let attempt = 0; attempt < 100 && all.length < 40; attempt++) {
      const rest = await fetch(`${api.url}/control/events?kinds=peer`, { headers: { ...api.auth("mesh.read"), "last-event-id": all.at(-1)?.id ?? "0" } });
      const more = await readEvents(rest, (evs) => all.length + evs.filter((e) => e.event === "peer").length >= 40);
      all.push(...more.filter((e) => e.event === "peer"));
    }
    expect(all.length).toBe(40);
    expect(new Set(all.map((e) => (JSON.parse(e.data!) as { id: string }).id)).size).toBe(40);
  });

  it("on drain, tells subscribers to reconnect only once the other requests in flight have finished", async () => {
    api = await startTestControlApi();
    const res = await fetch(`${api.url}/control/events?kinds=peer`, { headers: api.auth("mesh.read") });
    const events = readEvents(res, (evs) => evs.some((e) => e.event === "reconnect"));
    while (api.events.open === 0) await new Promise((r) => setImmediate(r));
    // A registration whose body is still arriving: in flight until it ends.
    const url = new URL(`${api.url}/control/peers/web-9`);
    const slow = request({ host: url.hostname, port: url.port, path: url.pathname, method: "PUT", headers: { ...api.auth("mesh.operate"), "content-type": "application/json", "content-length": "200" } });
    const answered = new Promise<number>((resolve) => slow.on("response", (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    }));
    slow.write("{");
    while (api.participant.inFlight() < 2) await new Promise((r) => setImmediate(r));
    void api.participant.drain();
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    // The stream is still open while the registration is in flight.
    expect(api.events.open).toBe(1);
    const body = JSON.stringify({ address: "10.0.0.9:80", pools: ["web"], roles: ["edge"] });
    slow.end(body.slice(1).padEnd(199, " "));
    expect(await answered).toBe(200);
    const evs = await events;
    // The subscriber saw the registration before it was told to go elsewhere.
    const order = evs.filter((e) => e.event === "peer" || e.event === "reconnect").map((e) => e.event);
    expect(order).toEqual(["peer", "reconnect"]);
    await api.participant.whenIdle();
  });

  it("tells subscribers to reconnect elsewhere when the server drains, and the stream then ends", async () => {
    api = await startTestControlApi();
    const res = await fetch(`${api.url}/control/events`, { headers: api.auth("mesh.read") });
    const reading = readEvents(res, (evs) => evs.some((e) => e.event === "reconnect"));
    while (api.events.open === 0) await new Promise((r) => setImmediate(r));
    expect(api.participant.inFlight()).toBe(1);
    api.participant.drain();
    const evs = await reading;
    expect(JSON.parse(evs.find((e) => e.event === "reconnect")!.data!)).toMatchObject({ reason: "draining" });
    await api.participant.whenIdle();
    expect(api.participant.inFlight()).toBe(0);
  });

  it("needs a token and a read scope", async () => {
    api = await startTestControlApi();
    const res = await fetch(`${api.url}/control/events`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const bad = await fetch(`${api.url}/control/events`, { headers: { ...api.auth("mesh.read"), "last-event-id": "abc" } });
    expect(bad.status).toBe(400);
  });
});

describe("/control/events for workload moves and one peer", () => {
  interface Change {
    kind: string;
    id: string;
    value?: { id?: string; from?: string; to?: string; phase?: string; state?: string };
  }

  /** Replays everything from the start until node-a shows up cordoned (the last write), then returns what arrived. */
  async function replay(query: string, scope: "mesh.read" | "mesh.agent"): Promise<Change[]> {
    const res = await fetch(`${api.url}/control/events?since=0&${query}`, { headers: api.auth(scope) });
    expect(res.status).toBe(200);
    const done = (evs: SseEvent[]): boolean => evs.some((e) => e.event === "peer" && (JSON.parse(e.data!) as Change).value?.id === "node-a" && (JSON.parse(e.data!) as Change).value?.phase === "cordoned");
    const evs = await readEvents(res, done);
    return evs.filter((e) => e.event !== undefined && e.data !== undefined).map((e) => ({ ...(JSON.parse(e.data!) as Change), event: e.event }));
  }

  async function fleetWithMoves(): Promise<void> {
    api = await startTestControlApi();
    for (const id of ["node-a", "node-b", "node-c"]) await register(api, id);
    expect((await call(api, "POST", "/control/moves", "mesh.operate", { id: "mv-bc", workload: "db", tier: "owner", from: "node-b", to: "node-c" })).status).toBe(201);
    expect((await call(api, "POST", "/control/moves", "mesh.operate", { id: "mv-ba", workload: "cache", tier: "owner", from: "node-b", to: "node-a" })).status).toBe(201);
    await call(api, "POST", "/control/peers/node-b:cordon", "mesh.operate", { reason: "noise" });
    await call(api, "POST", "/control/peers/node-a:cordon", "mesh.operate", { reason: "marker" });
  }

  it("sends `event: move` changes, and with ?peer= only that peer's changes and the moves from or to it", async () => {
    await fleetWithMoves();
    const all = await replay("kinds=peer,move", "mesh.read");
    expect(all.filter((c) => c.kind === "move").map((c) => `${c.id}:${c.value?.state}`)).toEqual(["mv-bc:starting", "mv-ba:starting"]);
    expect(new Set(all.filter((c) => c.kind === "peer").map((c) => c.id))).toEqual(new Set(["node-a", "node-b", "node-c"]));

    const mine = await replay("kinds=peer,move&peer=node-a", "mesh.agent");
    expect(mine.filter((c) => c.kind === "move").map((c) => c.id)).toEqual(["mv-ba"]);
    expect(new Set(mine.filter((c) => c.kind === "peer").map((c) => c.id))).toEqual(new Set(["node-a"]));
    expect(mine.every((c) => (c as Change & { event: string }).event === c.kind)).toBe(true);

    // Other kinds are unchanged by the peer filter.
    const withAudit = await replay("peer=node-a", "mesh.read");
    expect(withAudit.filter((c) => c.kind === "audit").length).toBeGreaterThanOrEqual(7);
    expect(withAudit.filter((c) => c.kind === "peer").every((c) => c.id === "node-a")).toBe(true);
  });

  it("leaves placement lists out of the feed: the peer change carries only placementVersion", async () => {
    api = await startTestControlApi();
    await register(api, "node-a");
    // A second live node of the role, so node-a may be cordoned.
    await register(api, "node-b");
    await call(api, "PUT", "/control/peers/node-b/status", "mesh.operate", { roles: {}, epoch: 0 });
    const placement = Array.from({ length: 500 }, (_, i) => ({ id: `w${i}` }));
    expect((await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: 0, placement })).status).toBe(200);
    expect((await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: 0, placement })).status).toBe(200);
    await call(api, "POST", "/control/peers/node-a:cordon", "mesh.operate", { reason: "marker" });
    const all = await replay("", "mesh.read");
    expect(all.some((c) => c.kind === "placement")).toBe(false);
    const reports = all.filter((c) => c.kind === "peer" && c.id === "node-a" && (c.value as { status?: unknown } | undefined)?.status !== undefined);
    // Two reports and the cordon, each a small peer document; the list was written once and is not streamed.
    expect(reports).toHaveLength(3);
    expect((reports[0]!.value as { status: Record<string, unknown> }).status).toMatchObject({ placementVersion: 1, workloads: { owners: 500, children: 0 } });
    expect((reports[0]!.value as { status: Record<string, unknown> }).status).not.toHaveProperty("placement");
  });

  it("shows an agent only its own moves even without ?peer=, and refuses ?peer= of another peer", async () => {
    await fleetWithMoves();
    const agent = await replay("kinds=peer,move", "mesh.agent");
    expect(agent.filter((c) => c.kind === "move").map((c) => c.id)).toEqual(["mv-ba"]);
    expect(new Set(agent.filter((c) => c.kind === "peer").map((c) => c.id))).toEqual(new Set(["node-a", "node-b", "node-c"]));
    const refused = await fetch(`${api.url}/control/events?peer=node-b`, { headers: api.auth("mesh.agent") });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await refused.json()) as { type: string }).type).toBe("https://drainkit.dev/problems/forbidden");
    const audited = await api.registry.queryAudit({ id: "t", scopes: ["mesh.read"] }, { action: "watchEvents", outcome: "refused" });
    expect(audited.items.map((e) => [e.actor, e.errorCode])).toEqual([["node-a", "forbidden"]]);
  });
});
