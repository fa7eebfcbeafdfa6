import { afterAll, beforeAll, expect, it } from "vitest";
import { NodeDrainCoordinator, systemClock, type Logger } from "@drainkit/core";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { DrainAgent, WorkloadSet } from "@drainkit/agent";
import { startControlPlane, type ControlPlaneProcess } from "./controlPlane.ts";

// One home per workload, against a real `drainkit serve`: a host that starts
// a workload another live host runs is told so by the registry and stops it;
// one that asks first (claimWorkloads) never starts it.
let cp: ControlPlaneProcess;
let ops: ControlPlaneClient;

beforeAll(async () => {
  cp = await startControlPlane({ agents: ["oh-1", "oh-2", "oh-3"] });
  ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken });
});
afterAll(async () => {
  await ops?.close();
  await cp?.dispose();
});

function host(id: string, jobs: readonly string[]) {
  const clock = systemClock();
  const stopped: string[] = [];
  const set = new WorkloadSet({ start: async () => {}, stop: async (w) => void stopped.push(w.id) }, jobs.map((j) => ({ id: j })));
  const coordinator = new NodeDrainCoordinator({ clock, participants: [set], roles: ["storage"], node: id });
  const lines: { msg: string | undefined; fields: Record<string, unknown> }[] = [];
  const log = (fields: Record<string, unknown>, msg?: string) => void lines.push({ msg, fields });
  const logger: Logger = { debug: () => {}, info: log, warn: log, error: log };
  const agent = new DrainAgent({ controlPlane: { url: cp.url, token: cp.agentTokens[id]! }, peer: { id, address: `127.0.0.1:${8200 + Number(id.slice(3))}`, pools: ["oh"], roles: ["storage"] }, coordinator, workloads: set, clock, logger, heartbeatMs: 200, pollMs: 100 });
  return { agent, set, stopped, lines };
}

it("a host reporting a workload another live host runs stops it when the registry refuses; claimWorkloads keeps it from starting", async () => {
  const first = host("oh-1", ["j"]);
  await first.agent.start();
  expect((await ops.getPlacement("oh-1")).items).toEqual([{ id: "j" }]);

  const second = host("oh-2", ["j", "k"]);
  await second.agent.start();
  expect(second.stopped).toEqual(["j"]);
  expect(second.set.list()).toEqual([{ id: "k" }]);
  expect((await ops.getPlacement("oh-2")).items).toEqual([{ id: "k" }]);
  expect(second.lines.some((l) => l.msg === "the registry says this workload runs on another peer: stopped here" && l.fields["livesOn"] === "oh-1")).toBe(true);

  const third = host("oh-3", []);
  await third.agent.start();
  expect(await third.agent.claimWorkloads(["j", "k", "m"])).toEqual({ mine: ["m"], elsewhere: { j: "oh-1", k: "oh-2" } });
  await Promise.all([first, second, third].map((h) => h.agent.stop()));
});
