import { afterEach, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { RegistryChange } from "@drainkit/registry";
import { ControlPlaneError, createControlPlaneClient, HistoryLostError, type StreamState } from "../src/index.ts";

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
