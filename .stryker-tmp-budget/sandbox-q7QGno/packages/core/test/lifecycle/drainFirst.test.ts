// @ts-nocheck
import { describe, expect, it } from "vitest";
import { LifecycleOrchestrator, NodeDrainCoordinator, createCountingParticipant } from "../../src/index.ts";
import { SeededRandom, SimulatedClock } from "../../src/testing/index.ts";
import { untilSettled } from "./harness.ts";

describe("LifecycleOrchestrator with the NodeDrainCoordinator (core README example)", () => {
  it("drains in-flight work before any serving component stops", async () => {
    const clock = new SimulatedClock();
    const api = createCountingParticipant("api");
    const coordinator = new NodeDrainCoordinator({ clock, participants: [api] });
    const calls: string[] = [];
    const lifecycle = new LifecycleOrchestrator({
      clock,
      random: new SeededRandom(7),
      components: [
        { name: "http", stop: () => void calls.push(`http closed@${clock.now()}`) },
        { name: "grpc", stop: () => void calls.push(`grpc closed@${clock.now()}`) },
        {
          name: "drain",
          dependsOn: ["http", "grpc"],
          stop: async () => {
            const result = await coordinator.drain({ deadline: clock.now() + 30_000, reason: "shutdown" });
            calls.push(`drain ${result.status}@${clock.now()}`);
          },
        },
      ],
    });
    await untilSettled(clock, lifecycle.start());
    expect(api.begin()).toBe(true);
    clock.setTimer(200, () => api.end()); // a request still in flight when shutdown begins

    expect((await untilSettled(clock, lifecycle.stop())).ok).toBe(true);
    expect(calls).toEqual(["drain drained@200", "grpc closed@200", "http closed@200"]);
    expect(api.begin()).toBe(false); // gates stay closed: no new work after the drain
    expect(clock.pendingTimers).toBe(0);
  });
});
