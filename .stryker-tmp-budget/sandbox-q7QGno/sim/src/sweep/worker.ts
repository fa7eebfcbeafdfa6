// @ts-nocheck
// Runs simulations for the seeds the parent hands over, one message per seed.
import { parentPort, workerData } from "node:worker_threads";
import { Simulation } from "../Simulation.ts";
import type { Scenario } from "../scenario/types.ts";
import { toSeedResult } from "./sweep.ts";

const { scenario, nodes } = workerData as { scenario: Scenario; nodes: number | undefined };
const port = parentPort!;
port.on("message", (msg: { seed: number } | { done: true }) => {
  if ("done" in msg) {
    port.close();
    return;
  }
  void new Simulation(scenario, { seed: msg.seed, ...(nodes === undefined ? {} : { nodes }) }).run().then((report) => port.postMessage(toSeedResult(report)));
});
