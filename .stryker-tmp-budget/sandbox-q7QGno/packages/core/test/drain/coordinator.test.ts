// @ts-nocheck
import { describe, expect, it } from "vitest";
import {
  createCountingParticipant,
  NodeDrainCoordinator,
  nodePhase,
  ResumeFailedError,
  StaleEpochError,
  type DrainCoordinatorEvent,
  type DrainParticipant,
} from "../../src/index.ts";
import { createManualParticipant, flushMicrotasks, MemoryMetrics, RecordingEventSink, SimulatedClock } from "../../src/testing/index.ts";

function setup(participants: DrainParticipant[], roles?: readonly string[]) {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const events = new RecordingEventSink<DrainCoordinatorEvent>();
  const metrics = new MemoryMetrics();
  const coordinator = new NodeDrainCoordinator({ clock, participants, events, metrics, node: "node-1", ...(roles ? { roles } : {}) });
  return { clock, events, metrics, coordinator };
}

describe("NodeDrainCoordinator", () => {
  it("closes every gate at once and reports drained the moment the last in-flight unit finishes", async () => {
    const api = createCountingParticipant("api");
    const jobs = createCountingParticipant("jobs");
    const { clock, events, metrics, coordinator } = setup([api, jobs]);
    api.begin();
    jobs.begin();
    jobs.begin();

    const result = coordinator.drain({ deadline: clock.now() + 30_000, reason: "kernel upgrade" });
    expect(api.begin()).toBe(false);
    expect(jobs.begin()).toBe(false);
    const snap = coordinator.snapshot();
    expect(snap.status).toBe("draining");
    expect(snap.blocking).toEqual(["api", "jobs"]);
    expect(snap.participants).toEqual([
      { name: "api", state: "draining", inFlight: 1 },
      { name: "jobs", state: "draining", inFlight: 2 },
    ]);

    api.end();
    expect(coordinator.snapshot().blocking).toEqual(["jobs"]);
    jobs.end();
    expect(coordinator.snapshot().status).toBe("draining");
    jobs.end();
    expect(coordinator.snapshot().status).toBe("drained");
    await expect(result).resolves.toMatchObject({ status: "drained", epoch: 1, reason: "kernel upgrade" });

    expect(events.events.filter((e) => e.type !== "role-phase-changed").map((e) => e.type)).toEqual([
      "drain-started",
      "participant-idle",
      "participant-idle",
      "drained",
    ]);
    expect(events.ofType("participant-idle").map((e) => e.participant)).toEqual(["api", "jobs"]);
    expect(events.events.every((e) => e.node === "node-1")).toBe(true);
    expect(metrics.value("drains_started_total")).toBe(1);
    expect(metrics.value("drains_completed_total")).toBe(1);
    expect(metrics.observations.get("drain_duration_seconds")).toHaveLength(1);
    expect(nodePhase(coordinator.node)).toBe("drained");
    // Event driven: the only timer was the deadline, cleared on completion.
    expect(clock.pendingTimers).toBe(0);
  });

  it("completes at once when nothing is in flight", async () => {
    const { clock, coordinator } = setup([createCountingParticipant("api")]);
    await expect(coordinator.drain({ deadline: clock.now() + 1_000, reason: "r" })).resolves.toMatchObject({ status: "drained" });
    expect(clock.pendingTimers).toBe(0);
  });

  it("fails at the deadline, naming what still blocks, and keeps the node quiesced", async () => {
    const api = createCountingParticipant("api");
    const jobs = createCountingParticipant("jobs");
    const { clock, events, metrics, coordinator } = setup([api, jobs]);
    jobs.begin();
    const result = coordinator.drain({ deadline: clock.now() + 5_000, reason: "r" });
    clock.advance(4_999);
    expect(coordinator.snapshot().status).toBe("draining");
    clock.advance(1);
    await expect(result).resolves.toMatchObject({ status: "failed", cause: "deadline", blocking: ["jobs"] });
    const snap = coordinator.snapshot();
    expect(snap).toMatchObject({ status: "failed", cause: "deadline", blocking: ["jobs"] });
    expect(nodePhase(coordinator.node)).toBe("failed");
    expect(api.begin()).toBe(false);
    expect(events.ofType("drain-failed")).toHaveLength(1);
    expect(metrics.value("drains_failed_total", { cause: "deadline" })).toBe(1);
    // Work finishing after the failure does not turn it into drained.
    jobs.end();
    expect(coordinator.snapshot().status).toBe("failed");
  });

  it("fails on a participant error and shows the error in the snapshot", async () => {
    const broken: DrainParticipant = {
      name: "grpc",
      drain: () => Promise.reject(new Error("server already closed")),
      inFlight: () => 0,
      onIdle: () => () => {},
      resume: () => {},
    };
    const { clock, coordinator } = setup([createCountingParticipant("api"), broken]);
    const result = await coordinator.drain({ deadline: clock.now() + 5_000, reason: "r" });
    expect(result).toMatchObject({ status: "failed", cause: "participant-error" });
    expect(result.status === "failed" && result.failure).toContain("server already closed");
    expect(coordinator.snapshot().participants).toContainEqual({ name: "grpc", state: "failed", inFlight: 0, error: "server already closed" });
    expect(clock.pendingTimers).toBe(0);
  });

  it("waits for a participant's gate to close before calling it idle", async () => {
    const http = createManualParticipant("http");
    const { clock, coordinator } = setup([http]);
    const result = coordinator.drain({ deadline: clock.now() + 5_000, reason: "r" });
    await flushMicrotasks();
    expect(coordinator.snapshot()).toMatchObject({ status: "draining", blocking: ["http"], participants: [{ name: "http", state: "closing" }] });
    http.closeGate();
    await expect(result).resolves.toMatchObject({ status: "drained" });
  });

  it("aborts the participants' drain signal when it stops waiting, and keeps the gates closed until resume", async () => {
    const http = createManualParticipant("http");
    const { clock, coordinator } = setup([http]);
    http.begin();
    const result = coordinator.drain({ deadline: clock.now() + 1_000, reason: "r" });
    http.closeGate();
    clock.advance(1_000);
    await expect(result).resolves.toMatchObject({ status: "failed", cause: "deadline", blocking: ["http"] });
    expect(http.signals[0]!.aborted).toBe(true);
    expect(http.signals[0]!.reason).toMatchObject({ code: "drain-stopped" });
    expect(http.open).toBe(false);
    const resumed = coordinator.resume();
    expect(http.calls).toEqual(["drain", "resume"]);
    http.reopenGate();
    await resumed;
    expect(http.open).toBe(true);
  });

  it("shares one result between concurrent drains of the same epoch and refuses stale epochs", async () => {
    const api = createCountingParticipant("api");
    const { clock, events, coordinator } = setup([api]);
    api.begin();
    const a = coordinator.drain({ epoch: 7, deadline: clock.now() + 5_000, reason: "r" });
    const b = coordinator.drain({ epoch: 7, deadline: clock.now() + 5_000, reason: "r" });
    const c = coordinator.drain({ deadline: clock.now() + 5_000, reason: "r" });
    expect(b).toBe(a);
    expect(c).toBe(a);
    await expect(coordinator.drain({ epoch: 6, deadline: clock.now() + 5_000, reason: "r" })).rejects.toBeInstanceOf(StaleEpochError);
    api.end();
    expect(await a).toMatchObject({ status: "drained", epoch: 7 });
    expect(events.ofType("drain-started")).toHaveLength(1);
    await coordinator.resume();
    const late = coordinator.drain({ epoch: 7, deadline: clock.now() + 5_000, reason: "r" });
    await expect(late).rejects.toMatchObject({ code: "stale-epoch", retryable: false });
  });

  it("lets a newer epoch supersede a drain in progress", async () => {
    const api = createCountingParticipant("api");
    const { clock, coordinator } = setup([api]);
    api.begin();
    const first = coordinator.drain({ epoch: 1, deadline: clock.now() + 1_000, reason: "r" });
    const second = coordinator.drain({ epoch: 2, deadline: clock.now() + 60_000, reason: "longer deadline" });
    await expect(first).resolves.toMatchObject({ status: "failed", cause: "superseded" });
    clock.advance(2_000);
    expect(coordinator.snapshot()).toMatchObject({ status: "draining", epoch: 2 });
    api.end();
    await expect(second).resolves.toMatchObject({ status: "drained", epoch: 2 });
  });

  it("resume reopens the gates, ends a drain in progress and emits resumed", async () => {
    const api = createCountingParticipant("api");
    const { clock, events, coordinator } = setup([api]);
    api.begin();
    const result = coordinator.drain({ deadline: clock.now() + 5_000, reason: "r" });
    await coordinator.resume();
    await expect(result).resolves.toMatchObject({ status: "failed", cause: "resumed" });
    expect(api.open).toBe(true);
    expect(coordinator.snapshot()).toMatchObject({ status: "idle", phase: "active", epoch: 1 });
    expect(events.ofType("resumed")).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    // Resuming an idle node is a no-op.
    await coordinator.resume();
    expect(events.ofType("resumed")).toHaveLength(1);
  });

  it("drains only the participants serving the requested roles", async () => {
    const ingest = createCountingParticipant("ingest-http", { roles: ["ingest"] });
    const storage = createCountingParticipant("storage-rpc", { roles: ["storage"] });
    const { clock, coordinator } = setup([ingest, storage]);
    const result = await coordinator.drain({ roles: ["ingest"], deadline: clock.now() + 5_000, reason: "r" });
    expect(result).toMatchObject({ status: "drained", roles: ["ingest"] });
    expect(ingest.open).toBe(false);
    expect(storage.open).toBe(true);
    expect(coordinator.node.roles.storage!.phase).toBe("active");
    await expect(coordinator.drain({ roles: ["gpu"], deadline: 0, reason: "r" })).rejects.toMatchObject({ code: "unknown-role" });
  });

  it("reports participants that fail to reopen, after reopening the others", async () => {
    const api = createCountingParticipant("api");
    const stuck: DrainParticipant = { name: "stuck", drain: () => {}, inFlight: () => 0, onIdle: () => () => {}, resume: () => Promise.reject(new Error("port in use")) };
    const { clock, coordinator } = setup([api, stuck]);
    await coordinator.drain({ deadline: clock.now() + 5_000, reason: "r" });
    const err = await coordinator.resume().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResumeFailedError);
    expect((err as ResumeFailedError).participants).toEqual(["stuck"]);
    expect((err as ResumeFailedError).retryable).toBe(true);
    expect(api.open).toBe(true);
  });

  it("stays consistent when an event handler resumes the node mid-drain", async () => {
    const clock = new SimulatedClock();
    const seen: string[] = [];
    const api = createCountingParticipant("api");
    const jobs = createCountingParticipant("jobs");
    const coordinator: NodeDrainCoordinator = new NodeDrainCoordinator({
      clock,
      participants: [api, jobs],
      events: {
        emit: (e) => {
          seen.push(e.type);
          if (e.type === "participant-idle") void coordinator.resume();
        },
      },
    });
    const result = await coordinator.drain({ deadline: clock.now() + 1_000, reason: "r" });
    expect(result).toMatchObject({ status: "failed", cause: "resumed" });
    expect(seen).not.toContain("drained");
    expect(coordinator.snapshot()).toMatchObject({ status: "idle", phase: "active" });
    expect(api.open && jobs.open).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it("refuses two participants with the same name", () => {
    expect(() => setup([createCountingParticipant("a"), createCountingParticipant("a")])).toThrow(/unique name/);
  });
});
