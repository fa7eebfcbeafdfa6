// @ts-nocheck
// Drain reaction on the real clock: from drain() to every gate closed, and
// from the last in-flight completion to drained reported (event and awaited
// result), as p50 / p99 in microseconds.
import { figure, quantile } from "@drainkit/bench";
import { createCountingParticipant, NodeDrainCoordinator, systemClock, type CountingParticipant, type DrainParticipant } from "../src/index.ts";

const ITERATIONS = 2_000;

async function reaction(count: number): Promise<void> {
  let lastGateClosed = 0;
  const counting: CountingParticipant[] = Array.from({ length: count }, (_, k) => createCountingParticipant(`p${k}`));
  const participants: DrainParticipant[] = counting.map((p) => ({
    name: p.name,
    inFlight: () => p.inFlight(),
    onIdle: (fn) => p.onIdle(fn),
    resume: () => p.resume(),
    drain: (signal) => {
      void p.drain(signal);
      lastGateClosed = performance.now();
    },
  }));
  let drainedAt = 0;
  const clock = systemClock();
  const coordinator = new NodeDrainCoordinator({
    clock,
    participants,
    events: { emit: (e) => void (e.type === "drained" && (drainedAt = performance.now())) },
  });
  const toGates: number[] = [];
  const toEvent: number[] = [];
  const toResult: number[] = [];
  for (let n = 0; n < ITERATIONS + 200; n++) {
    for (const p of counting) p.begin();
    const start = performance.now();
    const result = coordinator.drain({ deadline: clock.now() + 60_000, reason: "bench" });
    const gates = lastGateClosed - start;
    for (let k = 0; k < counting.length - 1; k++) counting[k]!.end();
    // The drained event fires inside the last end(), so time from just before it.
    const lastEnd = performance.now();
    counting[counting.length - 1]!.end();
    const r = await result;
    const resolved = performance.now();
    if (r.status !== "drained") throw new Error(`bench drain ended ${r.status}`);
    if (n >= 200) {
      // The first 200 rounds warm the JIT up.
      toGates.push(gates * 1000);
      toEvent.push((drainedAt - lastEnd) * 1000);
      toResult.push((resolved - lastEnd) * 1000);
    }
    await coordinator.resume();
  }
  const tag = `${count}_participants`;
  figure(`core.drain.to_gates_closed_p50.${tag}`, quantile(toGates, 0.5), "µs");
  figure(`core.drain.to_gates_closed_p99.${tag}`, quantile(toGates, 0.99), "µs");
  figure(`core.drain.last_completion_to_drained_event_p50.${tag}`, quantile(toEvent, 0.5), "µs");
  figure(`core.drain.last_completion_to_drained_event_p99.${tag}`, quantile(toEvent, 0.99), "µs");
  figure(`core.drain.last_completion_to_result_p50.${tag}`, quantile(toResult, 0.5), "µs");
  figure(`core.drain.last_completion_to_result_p99.${tag}`, quantile(toResult, 0.99), "µs");
}

await reaction(2);
await reaction(64);
