// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { MoveChange, RegistryChange } from "../src/index.ts";
import { startTestControlApi } from "@drainkit/http/testing";
import { ControlPlaneError, createControlPlaneClient, HistoryLostError, pages, readAll, type ControlChange, type StreamState } from "../src/index.ts";

// The client's event-stream follower against a scripted SSE server on a real socket.
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function scripted(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<string> {
  let n = 0;
  server = createServer((req, res) => handler(req, res, n++));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const change = (revision: number): string => `id: ${revision}\nevent: peer\ndata: ${JSON.stringify({ revision, kind: "peer", id: "web-1", value: { id: "web-1", version: revision } })}\n\n`;

describe("ControlPlaneClient.watch", () => {
  it("reconnects with Last-Event-ID after the server ends the stream, so nothing is replayed twice", async () => {
    const lastIds: (string | undefined)[] = [];
    const url = await scripted((req, res, n) => {
      lastIds.push(req.headers["last-event-id"] as string | undefined);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (n === 0) res.end(`${change(3)}${change(4)}event: reconnect\ndata: {"reason":"draining"}\n\n`);
      else res.write(change(5)); // stays open
    });
    const client = createControlPlaneClient({ url, token: "t", reconnect: { initialMs: 10, maxMs: 20 } });
    const seen: RegistryChange[] = [];
    const states: StreamState[] = [];
    const w = client.watch(2, (c) => seen.push(c), undefined, { kinds: ["peer"], onState: (s) => states.push(s) });
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(3);
    w.close();
    await client.close();
    expect(seen.map((c) => c.revision)).toEqual([3, 4, 5]);
    expect(lastIds).toEqual(["2", "4"]);
    expect(states.slice(0, 3)).toEqual(["streaming", "down", "streaming"]);
  });

  it("backs off and retries while the server answers 503, then streams", async () => {
    const url = await scripted((_req, res, n) => {
      if (n < 2) return void res.writeHead(503, { "content-type": "application/problem+json" }).end(JSON.stringify({ code: "draining", retryable: true }));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(change(7));
    });
    const client = createControlPlaneClient({ url, token: "t", reconnect: { initialMs: 10, maxMs: 20 } });
    const seen: number[] = [];
    const w = client.watch(6, (c) => seen.push(c.revision));
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([7]);
    w.close();
    await client.close();
  });

  it("stops with HistoryLostError on `event: reset`, and with the error on a 401", async () => {
    const url = await scripted((req, res) => {
      if (req.headers.authorization !== "Bearer good") return void res.writeHead(401, { "content-type": "application/problem+json" }).end(JSON.stringify({ code: "unauthenticated", retryable: false }));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`event: reset\ndata: {"reason":"history-lost"}\n\n`);
    });
    const errors: Error[] = [];
    const good = createControlPlaneClient({ url, token: "good" });
    good.watch(1, () => {}, (e) => errors.push(e));
    const bad = createControlPlaneClient({ url, token: "bad" });
    bad.watch(1, () => {}, (e) => errors.push(e));
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBe(2);
    expect(errors.find((e) => e instanceof HistoryLostError)).toMatchObject({ code: "history-lost", retryable: true });
    expect(errors.find((e) => e instanceof ControlPlaneError)).toMatchObject({ code: "unauthenticated", status: 401 });
    await good.close();
    await bad.close();
  });
});

describe("ControlPlaneClient workload moves against a real control API", () => {
  it("lists and reports the agent's own moves, and follows its own peer and moves with watch({ peer, kinds })", async () => {
    const api = await startTestControlApi();
    // The test API's agent token is node-a's.
    const agent = createControlPlaneClient({ url: api.url, token: api.tokens["mesh.agent"], reconnect: { initialMs: 10, maxMs: 50 } });
    const ops = createControlPlaneClient({ url: api.url, token: api.tokens["mesh.operate"] });
    const seen: ControlChange[] = [];
    let w: { close(): void } | undefined;
    try {
      for (const id of ["node-a", "node-b", "node-c"]) await ops.registerPeer({ id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
      const operator = { id: "leader", scopes: ["mesh.operate" as const] };
      await api.registry.planMove(operator, { id: "mv-in", workload: "db", tier: "owner", from: "node-b", to: "node-a" });
      await api.registry.planMove(operator, { id: "mv-else", workload: "cache", tier: "owner", from: "node-b", to: "node-c" });

      w = agent.watch(0, (c) => seen.push(c), undefined, { kinds: ["peer", "move"], peer: "node-a" });
      expect((await agent.listMoves()).map((m) => m.id)).toEqual(["mv-in"]);
      expect((await ops.listMoves({ peer: "node-c" })).map((m) => m.id)).toEqual(["mv-else"]);
      expect((await ops.listMoves({ active: true, state: "starting" })).map((m) => m.id).sort()).toEqual(["mv-else", "mv-in"]);

      const serving = await agent.reportMove("mv-in", { state: "serving" }, { idempotencyKey: "mv-in-serving" });
      expect(serving).toMatchObject({ id: "mv-in", state: "serving", generation: 2 });
      expect(await agent.reportMove("mv-in", { state: "serving" }, { idempotencyKey: "mv-in-serving" })).toEqual(serving);
      expect(await agent.reportMove("mv-in", { state: "serving" })).toEqual(serving);
      // The destination never reports done, and nobody reports for a move it is not part of.
      await expect(agent.reportMove("mv-in", { state: "done" })).rejects.toMatchObject({ status: 403, code: "forbidden" });
      await expect(agent.reportMove("mv-else", { state: "serving" })).rejects.toMatchObject({ status: 403, code: "forbidden" });
      await expect(ops.reportMove("mv-else", { state: "done" })).rejects.toMatchObject({ status: 409, code: "move-state-conflict", retryable: false });
      await expect(ops.reportMove("ghost", { state: "serving" })).rejects.toMatchObject({ status: 404, code: "not-found" });
      expect(await ops.reportMove("mv-in", { state: "done" })).toMatchObject({ state: "done" });

      await expect.poll(() => seen.filter((c): c is MoveChange => c.kind === "move").map((c) => c.value?.state), { timeout: 10_000 }).toEqual(["starting", "serving", "done"]);
      expect(seen.filter((c) => c.kind === "move").every((c) => c.id === "mv-in")).toBe(true);
      expect(new Set(seen.filter((c) => c.kind === "peer").map((c) => c.id))).toEqual(new Set(["node-a"]));
    } finally {
      w?.close();
      await agent.close();
      await ops.close();
      await api.close();
    }
  });

  it("refuses a watch of another peer's feed for an agent, ending the watch with the error", async () => {
    const api = await startTestControlApi();
    const agent = createControlPlaneClient({ url: api.url, token: api.tokens["mesh.agent"] });
    const errors: Error[] = [];
    const w = agent.watch(0, () => {}, (e) => errors.push(e), { peer: "node-b" });
    try {
      await expect.poll(() => errors.length, { timeout: 10_000 }).toBe(1);
      expect(errors[0]).toMatchObject({ status: 403, code: "forbidden" });
    } finally {
      w.close();
      await agent.close();
      await api.close();
    }
  });
});

describe("paging over nextCursor against a real control API", () => {
  it("reads every peer once, in order, page by page, and keeps the first page's revision", async () => {
    const api = await startTestControlApi();
    const ops = createControlPlaneClient({ url: api.url, token: api.tokens["mesh.operate"] });
    try {
      const ids = Array.from({ length: 7 }, (_, i) => `node-${i}`);
      for (const id of ids) await ops.registerPeer({ id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
      const first = await ops.listPeers({ limit: 1 });
      const sizes: number[] = [];
      for await (const page of pages((cursor) => ops.listPeers({ limit: 3, ...(cursor === undefined ? {} : { cursor }) }))) sizes.push(page.items.length);
      // 7 peers, 3 a page: the iterator stops at the page without a cursor.
      expect(sizes).toEqual([3, 3, 1]);
      const all = await readAll((cursor) => ops.listPeers({ limit: 2, ...(cursor === undefined ? {} : { cursor }) }));
      expect(all.items.map((p) => p.id)).toEqual(ids);
      expect(all.revision).toBe(first.revision);
      expect((await ops.snapshot()).peers.map((p) => p.id)).toEqual(ids);
    } finally {
      await ops.close();
      await api.close();
    }
  });
});
