// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { createCountingParticipant, NodeDrainCoordinator, systemClock, type CountingParticipant } from "@drainkit/core";
import { request } from "undici";
import { upgradeRoutes } from "../src/index.ts";

// The host's own /control/upgrade routes on a real loopback listener.
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(token?: string): Promise<{ url: string; api: CountingParticipant }> {
  const api = createCountingParticipant("api");
  const coordinator = new NodeDrainCoordinator({ clock: systemClock(), participants: [api], roles: ["edge"] });
  app = Fastify();
  await app.register(upgradeRoutes, { coordinator, ...(token === undefined ? {} : { token }) });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, api };
}

const post = async (url: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await request(url, { method: "POST", headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};

describe("upgradeRoutes", () => {
  it("drains: 202 while work is in flight, then drained; resume reopens", async () => {
    const { url, api } = await serve();
    api.begin();
    const started = await post(`${url}/control/upgrade/drain`, { reason: "disk swap" });
    expect(started).toMatchObject({ status: 202, body: { status: "draining", reason: "disk swap", blocking: ["api"], participants: [{ name: "api", inFlight: 1 }] } });
    expect(api.begin()).toBe(false);
    api.end();
    const after = await request(`${url}/control/upgrade`);
    expect(after.statusCode).toBe(200);
    expect(await after.body.json()).toMatchObject({ status: "drained", phase: "drained", epoch: 1 });
    const resumed = await post(`${url}/control/upgrade/resume`);
    expect(resumed).toMatchObject({ status: 200, body: { status: "idle", phase: "active" } });
    expect(api.open).toBe(true);
  });

  it("with wait: answers once done, 409 drain-failed when the deadline passes with work in flight", async () => {
    const { url, api } = await serve();
    api.begin();
    const failed = await post(`${url}/control/upgrade/drain`, { reason: "stuck", deadlineMs: 100, wait: true });
    expect(failed.status).toBe(409);
    expect(failed.body).toMatchObject({ code: "drain-failed", state: { status: "failed", blocking: ["api"] } });
    api.end();
    await post(`${url}/control/upgrade/resume`);
    const drained = await post(`${url}/control/upgrade/drain`, { reason: "again", wait: true });
    expect(drained).toMatchObject({ status: 200, body: { status: "drained", epoch: 2 } });
  });

  it("rejects a drain without a reason, and every route without the token when one is set", async () => {
    const { url } = await serve("host-secret");
    expect((await post(`${url}/control/upgrade/drain`, { reason: "x" })).status).toBe(401);
    expect((await post(`${url}/control/upgrade/drain`, {}, { authorization: "Bearer host-secret" })).status).toBe(400);
    expect((await post(`${url}/control/upgrade/drain`, { reason: "ok" }, { authorization: "Bearer host-secret" })).status).toBe(200);
  });
});
