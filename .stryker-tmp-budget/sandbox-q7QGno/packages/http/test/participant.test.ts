// @ts-nocheck
import { once } from "node:events";
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, createServer as createH2Server, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpDrainParticipant } from "../src/participant.ts";

/** A server whose requests wait until the test releases them, one by one. */
function heldServer(): { server: Server; arrived: () => Promise<void>; release: () => void } {
  const waiting: (() => void)[] = [];
  const arrivals: (() => void)[] = [];
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    waiting.push(() => res.end("done"));
    arrivals.shift()?.();
  });
  return {
    server,
    arrived: () => new Promise<void>((r) => arrivals.push(r)),
    release: () => waiting.shift()?.(),
  };
}

const port = (s: { address(): AddressInfo | string | null }): number => (s.address() as AddressInfo).port;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function get(p: number, agent?: Agent): Promise<{ status: number; headers: IncomingMessage["headers"]; body: string; socketClosed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: p, path: "/", ...(agent ? { agent } : {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socketClosed: once(req.socket!, "close").then(() => {}) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTP drain participant (node:http)", () => {
  it("counts in-flight requests exactly, answers new ones 503 + Retry-After + Connection: close, and lets the old ones finish", async () => {
    const { server, arrived, release } = heldServer();
    const participant = createHttpDrainParticipant(server, { retryAfterSeconds: 7, deregistrationDelayMs: 0 });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    closers.push(() => new Promise((r) => server.close(() => r())));

    const a1 = arrived();
    const first = get(port(server));
    await a1;
    const a2 = arrived();
    const second = get(port(server));
    await a2;
    expect(participant.inFlight()).toBe(2);

    participant.drain();
    expect(participant.draining).toBe(true);
    const refused = await get(port(server));
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("7");
    expect(refused.headers["connection"]).toBe("close");
    expect(refused.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(refused.body)).toMatchObject({ type: "https://drainkit.dev/problems/draining", status: 503 });
    expect(participant.inFlight()).toBe(2);

    const idle = participant.whenIdle();
    let idleSeen = false;
    const unsubscribe = participant.onIdle(() => (idleSeen = true));
    release();
    const r1 = await first;
    expect(r1.status).toBe(200);
    expect(r1.headers["connection"]).toBe("close");
    expect(participant.inFlight()).toBe(1);
    expect(idleSeen).toBe(false);
    release();
    expect((await second).body).toBe("done");
    await idle;
    expect(participant.inFlight()).toBe(0);
    expect(idleSeen).toBe(true);
    unsubscribe();

    participant.resume();
    const a3 = arrived();
    const third = get(port(server));
    await a3;
    release();
    expect((await third).status).toBe(200);
  });

  it("closes idle keep-alive sockets when the drain starts", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    const participant = createHttpDrainParticipant(server, { deregistrationDelayMs: 0 });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    closers.push(() => new Promise((r) => server.close(() => r())));
    const agent = new Agent({ keepAlive: true });
    closers.push(async () => agent.destroy());
    const res = await get(port(server), agent);
    expect(res.status).toBe(200);
    participant.drain();
    await res.socketClosed;
    expect(participant.inFlight()).toBe(0);
  });

  it("counts a streaming response until it ends, and an aborted request once", async () => {
    let finishStream: (() => void) | undefined;
    const started: (() => void)[] = [];
    const server = createServer((req, res) => {
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("part 1\n");
        finishStream = () => res.end("part 2\n");
      }
      started.shift()?.();
      // "/hang" never answers: only the client's abort ends it.
    });
    const participant = createHttpDrainParticipant(server, { deregistrationDelayMs: 0 });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });

    const s1 = new Promise<void>((r) => started.push(r));
    const streamed = fetch(`http://127.0.0.1:${port(server)}/stream`).then((r) => r.text());
    await s1;
    const s2 = new Promise<void>((r) => started.push(r));
    const ac = new AbortController();
    const hanging = fetch(`http://127.0.0.1:${port(server)}/hang`, { signal: ac.signal }).catch(() => "aborted");
    await s2;
    expect(participant.inFlight()).toBe(2);
    participant.drain();
    ac.abort();
    expect(await hanging).toBe("aborted");
    const idle = participant.whenIdle();
    while (participant.inFlight() > 1) await new Promise((r) => setImmediate(r));
    expect(participant.inFlight()).toBe(1);
    finishStream!();
    expect(await streamed).toBe("part 1\npart 2\n");
    await idle;
    expect(participant.inFlight()).toBe(0);
  });
});

describe("HTTP drain participant (HTTP/2)", () => {
  it("sends GOAWAY to open sessions, finishes their streams, and refuses streams of sessions opened while draining", async () => {
    let releaseStream: (() => void) | undefined;
    const arrived: (() => void)[] = [];
    const server: Http2Server = createH2Server((_req, res) => {
      releaseStream = () => res.end("h2 done");
      arrived.shift()?.();
    });
    const participant = createHttpDrainParticipant(server, { deregistrationDelayMs: 0 });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    closers.push(() => new Promise((r) => server.close(() => r())));

    const session = connect(`http://127.0.0.1:${port(server)}`);
    closers.push(async () => void session.destroy());
    const goaway = once(session, "goaway");
    const a = new Promise<void>((r) => arrived.push(r));
    const stream = session.request({ ":path": "/" });
    let body = "";
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => (body += c));
    const ended = once(stream, "end");
    await a;
    expect(participant.inFlight()).toBe(1);

    participant.drain();
    await goaway;
    releaseStream!();
    await ended;
    expect(body).toBe("h2 done");
    await participant.whenIdle();

    // A session opened while draining is told GOAWAY at once; its request is refused, so the client retries elsewhere.
    const fresh = connect(`http://127.0.0.1:${port(server)}`);
    closers.push(async () => void fresh.destroy());
    const freshGoaway = once(fresh, "goaway");
    const refused = fresh.request({ ":path": "/" });
    const [error] = (await once(refused, "error")) as [Error & { code?: string }];
    expect(error.message).toContain("NGHTTP2_REFUSED_STREAM");
    await freshGoaway;
    expect(participant.inFlight()).toBe(0);
  });
});

describe("HTTP drain participant (Fastify)", () => {
  it("gates a Fastify instance", async () => {
    const app = Fastify();
    let release: (() => void) | undefined;
    let arrived: (() => void) | undefined;
    app.get("/slow", async () => {
      arrived?.();
      await new Promise<void>((r) => (release = r));
      return { ok: true };
    });
    const participant = createHttpDrainParticipant(app, { deregistrationDelayMs: 0 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    closers.push(() => app.close());
    const base = `http://127.0.0.1:${port(app.server)}`;
    const hit = new Promise<void>((r) => (arrived = r));
    const slow = fetch(`${base}/slow`);
    await hit;
    participant.drain();
    const refused = await fetch(`${base}/slow`);
    expect(refused.status).toBe(503);
    await refused.text();
    release!();
    expect((await slow).status).toBe(200);
    await participant.whenIdle();
    expect(participant.inFlight()).toBe(0);
  });
});
