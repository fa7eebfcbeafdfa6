import { afterAll, beforeAll, expect, it } from "vitest";
import { createCountingParticipant, NodeDrainCoordinator, systemClock, type Logger } from "@drainkit/core";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { DrainAgent } from "@drainkit/agent";
import { startControlPlane, type ControlPlaneProcess } from "./controlPlane.ts";

// DrainAgent.shutdown() against a real `drainkit serve`: the host's shutdown
// drain goes through the control plane, and falls back to the local gates,
// saying so, when the control plane does not answer.
let cp: ControlPlaneProcess;
let ops: ControlPlaneClient;
const PEERS = ["sd-1", "sd-2", "sd-3"];

beforeAll(async () => {
  cp = await startControlPlane({ agents: PEERS });
  ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken });
});
afterAll(async () => {
  await ops?.close();
  await cp?.dispose();
});

function host(id: string) {
  const clock = systemClock();
  const api = createCountingParticipant("api");
  const coordinator = new NodeDrainCoordinator({ clock, participants: [api], roles: ["edge"], node: id });
  const lines: { level: string; msg: string | undefined; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, msg?: string) => void lines.push({ level, msg, fields });
  const logger: Logger = { debug: () => {}, info: log("info"), warn: log("warn"), error: log("error") };
  const agent = new DrainAgent({
    controlPlane: { url: cp.url, token: cp.agentTokens[id]! },
    peer: { id, address: `127.0.0.1:${8100 + PEERS.indexOf(id)}`, pools: ["sd"], roles: ["edge"] },
    coordinator,
    clock,
    logger,
    heartbeatMs: 200,
    pollMs: 100,
    retry: { initialMs: 50, maxMs: 200 },
  });
  return { agent, coordinator, lines };
}

it("drains its own peer through the control plane, and ends that drain itself when it starts again", async () => {
  const hosts = PEERS.map(host);
  await Promise.all(hosts.map((h) => h.agent.start()));
  const [h1] = hosts;
  const outcome = await h1!.agent.shutdown({ deadlineMs: 30_000, reason: "shutdown" });
  expect(outcome.via).toBe("control-plane");
  expect(outcome.result.status).toBe("drained");
  const peer = await ops.getPeer("sd-1");
  expect(peer.spec.drain).toMatchObject({ requestedBy: "sd-1", reason: "shutdown" });
  expect(peer.phase).toBe("drained");
  await h1!.agent.stop();
  // Started again (a restart of the process): its own shutdown drain ends; an operator's would stay.
  await h1!.agent.start();
  expect((await ops.getPeer("sd-1")).spec.drain).toBeUndefined();
  expect(h1!.lines.some((l) => l.msg === "ended this agent's own shutdown drain on start")).toBe(true);
  await Promise.all(hosts.map((h) => h.agent.stop()));
});

it("falls back to the local drain, with a log line saying why, when the control plane is down", async () => {
  const h = host("sd-2");
  await h.agent.start();
  await cp.stop();
  try {
    const outcome = await h.agent.shutdown({ deadlineMs: 30_000 });
    expect(outcome.via).toBe("local");
    expect(outcome.result.status).toBe("drained");
    const line = h.lines.find((l) => l.msg === "shutdown drain not through the control plane: draining locally");
    expect(line?.level).toBe("warn");
    expect(String(line?.fields["why"])).toContain("the control plane did not take the drain");
    expect(h.coordinator.snapshot().status).toBe("drained");
  } finally {
    await h.agent.stop();
    await cp.restart();
  }
});
