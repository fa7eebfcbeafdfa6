import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createSseParser, followEvents, type SseMessage } from "../src/sse.ts";


describe("createSseParser", () => {
  it("parses ids, event names, multi-line data and retry hints, and drops comments", () => {
    const p = createSseParser();
    expect(p.push("retry: 1000\n: resuming after revision 4\n\n")).toEqual([{ event: "retry", data: "", retry: 1000 }]);
    expect(p.push('id: 5\nevent: peer\ndata: {"a":1}\n\n: heartbeat\n\ndata: x\ndata: y\n\n')).toEqual([
      { id: "5", event: "peer", data: '{"a":1}' },
      { id: "5", event: "message", data: "x\ny" },
    ]);
  });

  it("gives the same messages however the stream is split, with LF, CR or CRLF line ends", () => {
    const message = fc.record({ id: fc.option(fc.nat(), { nil: undefined }), event: fc.constantFrom("peer", "audit", "rollout"), data: fc.json() });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.constantFrom("\n", "\r", "\r\n"), fc.array(fc.nat(), { maxLength: 10 }), (messages, eol, cuts) => {
        const text = messages.map((m) => `${m.id !== undefined ? `id: ${m.id}${eol}` : ""}event: ${m.event}${eol}data: ${m.data}${eol}${eol}`).join("");
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const p = createSseParser();
        const got: SseMessage[] = [];
        let from = 0;
        for (const at of [...points, text.length]) {
          got.push(...p.push(text.slice(from, at)));
          from = at;
        }
        let lastId: string | undefined;
        const want = messages.map((m) => {
          if (m.id !== undefined) lastId = String(m.id);
          return { event: m.event, data: m.data, ...(lastId !== undefined ? { id: lastId } : {}) };
        });
        expect(got).toEqual(want);
      }),
      fcParams({ numRuns: 300 }),
    );
  });
});

describe("followEvents", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("sends the bearer token, resumes with Last-Event-ID after the stream breaks, and loses nothing", async () => {
    const seen: { auth: string | undefined; last: string | undefined }[] = [];
    server = createServer((req: IncomingMessage, res) => {
      seen.push({ auth: req.headers.authorization, last: req.headers["last-event-id"] as string | undefined });
      res.writeHead(200, { "content-type": "text/event-stream" });
      const from = Number(req.headers["last-event-id"] ?? 0);
      res.write("retry: 10\n\n");
      // Each connection sends two events, then drops: the client must come back for the rest.
      for (const id of [from + 1, from + 2]) res.write(`id: ${id}\nevent: peer\ndata: {"revision":${id}}\n\n`);
      res.end();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/control/events`;
    const controller = new AbortController();
    const got: number[] = [];
    const statuses: boolean[] = [];
    await followEvents({
      url,
      token: "t0k",
      lastEventId: 3,
      signal: controller.signal,
      sleep: async () => undefined,
      onStatus: (connected) => statuses.push(connected),
      onMessage: (m) => {
        got.push(Number(m.id));
        if (got.length === 6) controller.abort();
      },
    });
    expect(got).toEqual([4, 5, 6, 7, 8, 9]);
    expect(seen.slice(0, 3)).toEqual([
      { auth: "Bearer t0k", last: "3" },
      { auth: "Bearer t0k", last: "5" },
      { auth: "Bearer t0k", last: "7" },
    ]);
    expect(statuses).toContain(false);
  });

  it("stops and asks for a re-listing when the server lost the history", async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`event: reset\ndata: {"reason":"history-lost"}\n\n`);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    let resets = 0;
    await followEvents({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      token: "t",
      lastEventId: 1,
      signal: new AbortController().signal,
      onMessage: () => undefined,
      onReset: () => resets++,
    });
    expect(resets).toBe(1);
  });

  it("gives up when the token is refused", async () => {
    server = createServer((_req, res) => res.writeHead(401, { "content-type": "application/problem+json" }).end("{}"));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const statuses: string[] = [];
    await followEvents({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, token: "bad", lastEventId: 0, signal: new AbortController().signal, onMessage: () => undefined, onStatus: (_c, d) => statuses.push(d) });
    expect(statuses.at(-1)).toContain("401");
  });
});
