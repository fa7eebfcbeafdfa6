// @ts-nocheck
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ControlPlaneError, HistoryLostError, streamEvents, type SseMessage, type StreamState } from "../src/index.ts";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const fast = { initialMs: 1, maxMs: 2 };

describe("streamEvents", () => {
  it("sends the token and the watch filter, resumes with Last-Event-ID after each break, and loses nothing", async () => {
    const seen: { url: string | undefined; auth: string | undefined; last: string | undefined }[] = [];
    const url = await listen((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization, last: req.headers["last-event-id"] as string | undefined });
      res.writeHead(200, { "content-type": "text/event-stream" });
      const from = Number(req.headers["last-event-id"] ?? 0);
      res.write("retry: 10\n\n");
      // Each connection sends two events, then drops: the client must come back for the rest.
      for (const id of [from + 1, from + 2]) res.write(`id: ${id}\nevent: peer\ndata: {"revision":${id}}\n\n`);
      res.end();
    });
    const controller = new AbortController();
    const got: number[] = [];
    const states: StreamState[] = [];
    for await (const m of streamEvents({ url, token: "t0k", lastEventId: 3, kinds: ["peer", "move"], peer: "web 1", signal: controller.signal, backoff: fast, onState: (s) => states.push(s) })) {
      got.push(Number(m.id));
      if (got.length === 6) break;
    }
    expect(got).toEqual([4, 5, 6, 7, 8, 9]);
    expect(seen.slice(0, 3)).toEqual([
      { url: "/control/events?kinds=peer%2Cmove&peer=web+1", auth: "Bearer t0k", last: "3" },
      { url: "/control/events?kinds=peer%2Cmove&peer=web+1", auth: "Bearer t0k", last: "5" },
      { url: "/control/events?kinds=peer%2Cmove&peer=web+1", auth: "Bearer t0k", last: "7" },
    ]);
    expect(states.slice(0, 3)).toEqual(["streaming", "down", "streaming"]);
  });

  it("decodes a multi-byte character split across two network writes", async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const bytes = Buffer.from('id: 1\nevent: peer\ndata: {"reason":"café"}\n\n', "utf8");
      const e = bytes.indexOf(0xc3);
      res.write(bytes.subarray(0, e + 1));
      // The second half goes out later, so the client reads the two halves as separate chunks.
      setImmediate(() => res.write(bytes.subarray(e + 1)));
    });
    const got: SseMessage[] = [];
    for await (const m of streamEvents({ url, signal: new AbortController().signal })) {
      got.push(m);
      break;
    }
    expect(got).toEqual([{ id: "1", event: "peer", data: '{"reason":"café"}' }]);
  });

  it("skips the server's steering events and stops with HistoryLostError on `event: reset`", async () => {
    let n = 0;
    const url = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (n++ === 0) res.end(`id: 2\nevent: peer\ndata: {}\n\nevent: reconnect\ndata: {"reason":"draining"}\n\n`);
      else res.end(`event: reset\ndata: {"reason":"history-lost"}\n\n`);
    });
    const got: string[] = [];
    const run = async (): Promise<void> => {
      for await (const m of streamEvents({ url, lastEventId: 1, signal: new AbortController().signal, backoff: fast })) got.push(m.event);
    };
    await expect(run()).rejects.toBeInstanceOf(HistoryLostError);
    expect(got).toEqual(["peer"]);
  });

  it("stops on an answer not worth retrying (401), and retries a 503 until the stream comes", async () => {
    const refused = await listen((_req, res) => res.writeHead(401, { "content-type": "application/problem+json" }).end(JSON.stringify({ code: "unauthenticated", retryable: false, detail: "bad token" })));
    const consume = async (u: string, giveUpAfter?: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const m of streamEvents({ url: u, signal: new AbortController().signal, backoff: fast, ...(giveUpAfter === undefined ? {} : { giveUpAfter }) })) {
        out.push(m.data);
        break;
      }
      return out;
    };
    await expect(consume(refused)).rejects.toMatchObject({ status: 401, code: "unauthenticated", retryable: false });
    server!.close();
    let n = 0;
    const flaky = await listen((_req, res) => {
      if (n++ < 2) return void res.writeHead(503, { "content-type": "application/problem+json" }).end(JSON.stringify({ code: "not-leader", retryable: true }));
      res.writeHead(200, { "content-type": "text/event-stream" }).write("id: 9\ndata: ok\n\n");
    });
    expect(await consume(flaky)).toEqual(["ok"]);
    server!.closeAllConnections();
    server!.close();
    n = 0;
    const down = await listen((_req, res) => void res.writeHead(503).end());
    await expect(consume(down, 2)).rejects.toBeInstanceOf(ControlPlaneError);
  });
});
