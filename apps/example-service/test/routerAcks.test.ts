import { createServer } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent } from "undici";
import { DrainAgent } from "@drainkit/agent";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { startControlPlaneForTest } from "@drainkit/control-plane/testing";
import { NodeDrainCoordinator, systemClock } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { createHttpDrainParticipant, type HttpDrainParticipant } from "@drainkit/http";
import { acknowledgeRemovals, controlPlaneSource, startRouter, type RemovalAcks, type Router } from "@drainkit/routing";

// Ordered drain with router acknowledgements (issue #25), against a real
// `drainkit serve`: the host's gate waits out its deregistration delay unless
// every router registered on its peer acknowledged the drain. The gate's
// delay runs on a simulated clock that the test alone advances, so "before
// the delay" means the clock never moved.
const DELAY_MS = 60_000;
let cp: Awaited<ReturnType<typeof startControlPlaneForTest>>;
let ops: ControlPlaneClient;
const hosts: { agent: DrainAgent; http: HttpDrainParticipant; gateClock: SimulatedClock }[] = [];

beforeAll(async () => {
  cp = await startControlPlaneForTest({ agents: ["web-1", "web-2"], adminToken: `dk_admin_${process.pid}_${Date.now()}`, tokens: { "front-1": ["mesh.agent"] } });
  ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken! });
  for (const id of ["web-1", "web-2"]) {
    const clock = systemClock();
    const gateClock = new SimulatedClock({ start: Date.now() });
    const http = createHttpDrainParticipant(createServer(), { deregistrationDelayMs: DELAY_MS, clock: gateClock });
    const coordinator = new NodeDrainCoordinator({ clock, participants: [http], roles: ["edge"], node: id });
    const agent = new DrainAgent({
      controlPlane: { url: cp.url, token: cp.agentTokens[id]! },
      peer: { id, address: `127.0.0.1:${9100 + hosts.length}`, pools: ["web"], roles: ["edge"] },
      coordinator,
      clock,
      heartbeatMs: 200,
      pollMs: 100,
      onRoutersAcknowledged: () => http.deregistered(),
    });
    await agent.start();
    hosts.push({ agent, http, gateClock });
  }
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.agent.stop()));
  await ops?.close();
  await cp?.dispose();
});

async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const drainAndResume = async (run: (epoch: number) => Promise<void>): Promise<void> => {
  const { epoch } = await ops.drain("web-1", { reason: "router ack test", deadlineMs: 600_000 });
  await run(epoch);
  await eventually(async () => (await ops.drainStatus("web-1")).status === "drained", "web-1 drained");
  await ops.resume("web-1", { reason: "done" });
  await eventually(() => hosts[0]!.http.phase === "serving", "web-1 serving again");
};

it("without a router registered, the gate closes only once the deregistration delay ran out", async () => {
  const web1 = hosts[0]!;
  await drainAndResume(async (epoch) => {
    await eventually(() => web1.http.phase === "deregistering", "readiness failed, still serving");
    // The agent acted on the drain and reported it: still serving, the delay has not run.
    await eventually(async () => (await ops.getPeer("web-1")).status?.epoch === epoch, "the agent's report of the drain");
    expect(web1.http.phase).toBe("deregistering");
    web1.gateClock.advance(DELAY_MS);
    expect(web1.http.phase).toBe("refusing");
  });
});

it("with a router that acknowledges the removal, the gate closes before the delay", async () => {
  const web1 = hosts[0]!;
  const dispatcher = new Agent();
  const token = cp.tokens["front-1"]!;
  const router: Router = await startRouter({ source: controlPlaneSource({ url: cp.url, token, dispatcher, pool: "web" }), clock: systemClock() });
  const acks: RemovalAcks = acknowledgeRemovals({ router, role: "edge", pool: "web", url: cp.url, token, id: "front-1", dispatcher });
  try {
    await eventually(async () => (await ops.getPeer("web-1")).routers?.["front-1"] !== undefined, "the router registered on web-1");
    const before = web1.gateClock.now();
    await drainAndResume(async (epoch) => {
      await eventually(() => web1.http.phase === "refusing", "the gate closed on the router's acknowledgement");
      expect(web1.gateClock.now()).toBe(before);
      expect((await ops.getPeer("web-1")).routers?.["front-1"]?.acked).toBe(epoch);
      // The router took web-1 out before it said so.
      expect(router.members("edge").map((m) => m.id)).toEqual(["web-2"]);
    });
  } finally {
    await acks.close();
    router.close();
    await dispatcher.close();
  }
  // Released: the next drain waits for no router.
  expect((await ops.getPeer("web-1")).routers).toBeUndefined();
});
