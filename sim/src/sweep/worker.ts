// Runs simulations for the seeds the parent hands over, one message per seed.
import { parentPort, workerData } from "node:worker_threads";
import { runScenario, type SimMode } from "../fullstack/runScenario.ts";
import type { Scenario } from "../scenario/types.ts";
import { toSeedResult } from "./sweep.ts";

const { scenario, nodes, mode } = workerData as { scenario: Scenario; nodes: number | undefined; mode: SimMode | undefined };
const port = parentPort!;
port.on("message", (msg: { seed: number } | { done: true }) => {
  if ("done" in msg) {
    port.close();
    return;
  }
  void runScenario(scenario, { seed: msg.seed, ...(nodes === undefined ? {} : { nodes }), ...(mode === undefined ? {} : { mode }) }).then((report) => port.postMessage(toSeedResult(report)));
});
