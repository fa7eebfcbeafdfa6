// @ts-nocheck
import { once } from "node:events";
import { Agent, createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { SimulatedClock } from "@drainkit/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpDrainParticipant, DRAINING_HEADER } from "../src/participant.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly socket: { destroyed: boolean };
  readonly localPort: number;
}

function get(port: number, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket: req.socket!, localPort: req.socket!.localPort ?? 0 }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function served(delayMs: number): Promise<{ port: number; participant: ReturnType<typeof createHttpDrainParticipant>; clock: SimulatedClock }> {
  const server = createServer((_req, res) => res.end("ok"));
  const clock = new SimulatedClock({ start: 0 });
  const participant = createHttpDrainParticipant(server, { deregistrationDelayMs: delayMs, clock });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, participant, clock };
}

describe("HTTP drain participant, ordered drain", () => {
  it("fails readiness first, serves new requests with Connection: close during the deregistration delay, then refuses with the draining marker", async () => {
    const { port, participant, clock } = await served(5_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const before = await get(port, agent);
    expect(before.headers["connection"]).toBe("keep-alive");

    let gateClosed = false;
    const closing = participant.drain().then(() => (gateClosed = true));
    expect(participant.draining).toBe(true); // readiness fails now
    expect(participant.phase).toBe("deregistering");

    // The idle keep-alive socket is reused, not cut under the request; its answer says close.
    const during = await get(port, agent);
    expect(during.status).toBe(200);
    expect(during.localPort).toBe(before.localPort);
    expect(during.headers["connection"]).toBe("close");
    const fresh = await get(port, agent);
    expect(fresh.status).toBe(200);
    expect(fresh.localPort).not.toBe(before.localPort);
    expect(gateClosed).toBe(false);
    expect(participant.inFlight()).toBe(0);

    clock.advance(4_999);
    await Promise.resolve();
    expect(gateClosed).toBe(false);
    clock.advance(1);
    await closing;
    expect(participant.phase).toBe("refusing");
    const refused = await get(port, agent);
    expect(refused.status).toBe(503);
    expect(refused.headers[DRAINING_HEADER]).toBe("true");
    expect(refused.headers["connection"]).toBe("close");

    participant.resume();
    expect(participant.draining).toBe(false);
    expect((await get(port, agent)).status).toBe(200);
  });

  it("closes the gate early when routers acknowledge, and at once with a delay of 0", async () => {
    const acked = await served(60_000);
    const agent = new Agent({ keepAlive: false });
    closers.push(async () => agent.destroy());
    const closing = acked.participant.drain();
    expect((await get(acked.port, agent)).status).toBe(200);
    acked.participant.deregistered();
    await closing;
    expect((await get(acked.port, agent)).status).toBe(503);
    expect(acked.clock.pendingTimers).toBe(0);

    const now = await served(0);
    await now.participant.drain();
    expect(now.participant.phase).toBe("refusing");
    expect((await get(now.port, agent)).status).toBe(503);
  });

  it("a resume during the delay cancels it and the drain's promise settles", async () => {
    const { port, participant, clock } = await served(5_000);
    const agent = new Agent({ keepAlive: false });
    closers.push(async () => agent.destroy());
    const controller = new AbortController();
    const closing = participant.drain(controller.signal);
    participant.resume();
    controller.abort();
    await closing;
    expect(clock.pendingTimers).toBe(0);
    expect(participant.phase).toBe("serving");
    expect((await get(port, agent)).status).toBe(200);
  });
});
