// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  AttemptTimeoutError,
  ComponentStartError,
  DependencyCycleError,
  DrainkitError,
  LifecycleAbortedError,
  LifecycleOrchestrator,
  LifecycleStateError,
  LifecycleStopError,
  MissingDependencyError,
  InvalidRetryPolicyError,
  fromComponent,
  type LifecycleEvent,
  type LifecycleOrchestratorOptions,
} from "../../src/index.ts";
import { fcParams, MemoryMetrics, RecordingEventSink, RecordingLogger, SeededRandom, SimulatedClock } from "../../src/testing/index.ts";
import { eventsOf, fixedRandom, randomDag, scripted, settle, untilSettled, type TraceEntry } from "./harness.ts";

function setup(options: Partial<LifecycleOrchestratorOptions> = {}) {
  const clock = new SimulatedClock();
  const events = new RecordingEventSink<LifecycleEvent>();
  const trace: TraceEntry[] = [];
  const lifecycle = new LifecycleOrchestrator({ clock, random: new SeededRandom(1), events, ...options });
  return { clock, events, trace, lifecycle };
}

async function run<T>(clock: SimulatedClock, p: Promise<T>) {
  const s = settle(p);
  await clock.runUntilIdleAsync();
  expect(s.done()).toBe(true);
  return s.outcome;
}

describe("LifecycleOrchestrator ordering", () => {
  it("starts every component after its dependencies and stops it before them, on random DAGs and durations", async () => {
    await fc.assert(
      fc.asyncProperty(randomDag({ maxComponents: 20 }), fc.array(fc.nat(50), { minLength: 40, maxLength: 40 }), async (graph, durations) => {
        const runOnce = async (shift: number) => {
          const { clock, events, trace, lifecycle } = setup();
          graph.forEach((c, i) =>
            lifecycle.register(scripted(clock, trace, c.name, {
              dependsOn: c.dependsOn ?? [],
              startMs: durations[(i + shift) % 40]!,
              stopMs: durations[(i + 2 * shift + 1) % 40]!,
              retry: { start: { timeoutMs: 10_000 }, stop: { timeoutMs: 10_000 } },
            })),
          );
          // Each attempt's timeout timer is cleared the moment it settles.
          expect((await untilSettled(clock, lifecycle.start())).ok).toBe(true);
          expect(clock.pendingTimers).toBe(0);
          expect(lifecycle.ready()).toBe(true);
          expect((await untilSettled(clock, lifecycle.stop())).ok).toBe(true);
          expect(clock.pendingTimers).toBe(0);
          const at = (name: string, what: TraceEntry["what"]) => trace.find((t) => t.name === name && t.what === what)!.at;
          for (const c of graph) {
            for (const d of c.dependsOn ?? []) {
              expect(at(d, "started")).toBeLessThanOrEqual(at(c.name, "start"));
              expect(at(c.name, "stopped")).toBeLessThanOrEqual(at(d, "stop"));
            }
          }
          const recorded = (to: string) =>
            events.ofType("lifecycle.component.transition").filter((e) => e.to === to).map((e) => e.component);
          return { order: lifecycle.order(), starting: recorded("starting"), stopping: recorded("stopping") };
        };
        const first = await runOnce(0);
        const second = await runOnce(7);
        // The recorded order does not depend on how long each component takes.
        expect(first.starting).toEqual(first.order);
        expect(second).toEqual(first);
      }),
      fcParams({ numRuns: 40 }),
    );
  });

  it("rejects a cycle before anything starts, naming its path", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "db"));
    lifecycle.register(scripted(clock, trace, "http", { dependsOn: ["agent"] }));
    lifecycle.register(scripted(clock, trace, "agent", { dependsOn: ["http"] }));
    const outcome = await run(clock, lifecycle.start());
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(DependencyCycleError);
    expect(!outcome.ok && (outcome.error as DependencyCycleError).path).toEqual(["http", "agent", "http"]);
    expect(trace).toEqual([]);
    expect(lifecycle.status).toBe("pending");
  });

  it("rejects a missing dependency before anything starts; registering it lets start go ahead", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "http", { dependsOn: ["db"] }));
    const outcome = await run(clock, lifecycle.start());
    expect(!outcome.ok && outcome.error).toBeInstanceOf(MissingDependencyError);
    expect(trace).toEqual([]);
    lifecycle.register(scripted(clock, trace, "db"));
    expect((await run(clock, lifecycle.start())).ok).toBe(true);
    expect(trace.filter((t) => t.what === "start").map((t) => t.name)).toEqual(["db", "http"]);
  });

  it("starts once: a second start and late registrations are typed errors", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "a"));
    await run(clock, lifecycle.start());
    await expect(lifecycle.start()).rejects.toBeInstanceOf(LifecycleStateError);
    expect(() => lifecycle.register({ name: "b" })).toThrow(LifecycleStateError);
  });

  it("refuses an out-of-range retry policy at registration", () => {
    const { lifecycle } = setup();
    expect(() => lifecycle.register({ name: "a", retry: { start: { attempts: 0 } } })).toThrow(InvalidRetryPolicyError);
    expect(() => lifecycle.register({ name: "b", retry: { stop: { jitter: 2 } } })).toThrow(InvalidRetryPolicyError);
  });
});

describe("LifecycleOrchestrator retries", () => {
  it("retries a failing start with exponential backoff, at exact virtual times", async () => {
    const { clock, trace, lifecycle } = setup({ random: fixedRandom(0.25) });
    lifecycle.register(scripted(clock, trace, "db", {
      startMs: 10,
      failStarts: 3,
      retry: { start: { attempts: 4, initialDelayMs: 100, multiplier: 2, jitter: 0.5 } },
    }));
    expect((await run(clock, lifecycle.start())).ok).toBe(true);
    // Each wait is floor(100 * 2^(n-1) * (1 - 0.5 + 0.5 * 0.25)): 62, 125, 250 after attempts ending at 10, 82, 217.
    expect(trace.filter((t) => t.what === "start").map((t) => t.at)).toEqual([0, 72, 207, 467]);
    expect(lifecycle.snapshot().components[0]).toMatchObject({ status: "running", startAttempts: 4, startDurationMs: 477 });
    expect(clock.pendingTimers).toBe(0);
  });

  it("caps the backoff at maxDelayMs", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "db", {
      failStarts: 4,
      retry: { start: { attempts: 5, initialDelayMs: 100, maxDelayMs: 250, jitter: 0 } },
    }));
    await run(clock, lifecycle.start());
    expect(trace.filter((t) => t.what === "start").map((t) => t.at)).toEqual([0, 100, 300, 550, 800]);
  });

  it("cuts each attempt off at timeoutMs, aborting its signal, then gives up with the timeout as cause", async () => {
    const { clock, trace, lifecycle, events } = setup();
    lifecycle.register(scripted(clock, trace, "db", {
      startMs: Number.POSITIVE_INFINITY,
      retry: { start: { attempts: 2, initialDelayMs: 100, jitter: 0, timeoutMs: 50 } },
    }));
    const outcome = await run(clock, lifecycle.start());
    expect(eventsOf(trace, "db")).toEqual(["start@0", "start-aborted@50", "start@150", "start-aborted@200"]);
    expect(outcome.ok).toBe(false);
    const error = !outcome.ok ? (outcome.error as ComponentStartError) : undefined;
    expect(error).toBeInstanceOf(ComponentStartError);
    expect(error).toMatchObject({ code: "lifecycle-start-failed", component: "db", attempts: 2 });
    expect(error?.cause).toBeInstanceOf(AttemptTimeoutError);
    expect(events.ofType("lifecycle.attempt.failed").map((e) => [e.at, e.retryInMs])).toEqual([[50, 100], [200, undefined]]);
    expect(lifecycle.status).toBe("failed");
    expect(clock.pendingTimers).toBe(0);
  });

  it("does not retry an error that says it is not retryable", async () => {
    const { clock, lifecycle } = setup();
    let calls = 0;
    lifecycle.register({
      name: "db",
      start: () => {
        calls++;
        throw new DrainkitError<string>("bad-config", "fix the config", { retryable: false });
      },
      retry: { start: { attempts: 5 } },
    });
    const outcome = await run(clock, lifecycle.start());
    expect(calls).toBe(1);
    expect(!outcome.ok && (outcome.error as Error).cause).toMatchObject({ code: "bad-config" });
  });

  it("retries a failing stop on the clock and takes orchestrator-wide defaults", async () => {
    const { clock, trace, lifecycle } = setup({ retry: { stop: { attempts: 3, initialDelayMs: 40, jitter: 0 } } });
    lifecycle.register(scripted(clock, trace, "db", { stopMs: 5, failStops: 2 }));
    await run(clock, lifecycle.start());
    await clock.advanceAsync(1_000);
    expect((await run(clock, lifecycle.stop())).ok).toBe(true);
    expect(trace.filter((t) => t.what === "stop").map((t) => t.at)).toEqual([1_000, 1_045, 1_130]);
    expect(lifecycle.snapshot().components[0]).toMatchObject({ status: "stopped", stopAttempts: 3, stopDurationMs: 135 });
  });
});

describe("LifecycleOrchestrator failure and cancellation", () => {
  it("never starts the dependents of a failed component, stops what started, and rejects with the cause", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "db", { startMs: 10 }));
    lifecycle.register(scripted(clock, trace, "cache", { startMs: 30, failStarts: 1, dependsOn: ["db"] }));
    lifecycle.register(scripted(clock, trace, "queue", { startMs: 100, dependsOn: ["db"] }));
    lifecycle.register(scripted(clock, trace, "http", { dependsOn: ["cache"], disposable: true }));
    const outcome = await run(clock, lifecycle.start());
    expect(!outcome.ok && outcome.error).toBeInstanceOf(ComponentStartError);
    expect(!outcome.ok && (outcome.error as Error).cause).toEqual(new Error("cache start attempt 1 failed"));
    expect(eventsOf(trace, "http")).toEqual(["disposed@40"]);
    // queue was cancelled mid-start when its sibling failed, then stopped before db.
    expect(eventsOf(trace, "queue")).toEqual(["start@10", "start-aborted@40", "stop@40", "stopped@40"]);
    expect(eventsOf(trace, "db")).toEqual(["start@0", "started@10", "stop@40", "stopped@40"]);
    expect(eventsOf(trace, "cache")).toEqual(["start@10", "start-failed@40"]);
    expect(lifecycle.status).toBe("failed");
    expect(lifecycle.ready()).toBe(false);
    expect(lifecycle.snapshot().components.map((c) => [c.name, c.status])).toEqual([
      ["db", "stopped"], ["cache", "failed"], ["queue", "stopped"], ["http", "pending"],
    ]);
    expect(lifecycle.snapshot().components[1]!.lastError).toEqual({ message: "cache start attempt 1 failed" });
    expect((await run(clock, lifecycle.stop())).ok).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it("aborting start in the middle stops what had started, in reverse order", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "a", { startMs: 100, stopMs: 10 }));
    lifecycle.register(scripted(clock, trace, "b", { startMs: 100, stopMs: 10, dependsOn: ["a"] }));
    lifecycle.register(scripted(clock, trace, "c", { startMs: 100, dependsOn: ["b"] }));
    lifecycle.register(scripted(clock, trace, "d", { startMs: 100, stopMs: 10 }));
    // e failed once and is waiting out a 1 000 ms backoff when the abort comes.
    lifecycle.register(scripted(clock, trace, "e", { startMs: 10, failStarts: 1, dependsOn: ["a"], retry: { start: { attempts: 2, initialDelayMs: 1_000, jitter: 0 } } }));
    const abort = new AbortController();
    const started = lifecycle.start(abort.signal);
    await clock.advanceAsync(150);
    abort.abort(new Error("host shutting down"));
    const outcome = await untilSettled(clock, started);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(LifecycleAbortedError);
    expect(!outcome.ok && (outcome.error as Error).cause).toEqual(new Error("host shutting down"));
    expect(clock.now()).toBe(170);
    expect(clock.pendingTimers).toBe(0);
    expect(eventsOf(trace, "b")).toEqual(["start@100", "start-aborted@150", "stop@150", "stopped@160"]);
    expect(eventsOf(trace, "c")).toEqual([]);
    expect(eventsOf(trace, "e")).toEqual(["start@100", "start-failed@110", "stop@150", "stopped@150"]);
    // Waves stop backwards, each in reverse registration order: [e, b], then [d, a].
    expect(trace.filter((t) => t.what === "stop").map((t) => `${t.name}@${t.at}`)).toEqual(["e@150", "b@150", "d@160", "a@160"]);
    expect(lifecycle.status).toBe("stopped");
    expect(clock.pendingTimers).toBe(0);
  });

  it("stop() during start cancels the start, and both settle", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "a", { startMs: 100 }));
    lifecycle.register(scripted(clock, trace, "b", { startMs: Number.POSITIVE_INFINITY, honourAbort: false, dependsOn: ["a"] }));
    const started = settle(lifecycle.start());
    await clock.advanceAsync(120);
    const stopped = await run(clock, lifecycle.stop());
    expect(stopped.ok).toBe(true);
    const outcome = await started.outcome;
    expect(!outcome.ok && outcome.error).toBeInstanceOf(LifecycleAbortedError);
    // b ignored its signal; it is abandoned, not waited on, and still asked to stop.
    expect(eventsOf(trace, "b")).toEqual(["start@100", "stop@120", "stopped@120"]);
    expect(lifecycle.status).toBe("stopped");
  });

  it("stop tries every component even when some fail, disposes each, and lists every failure", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "db", { disposable: true }));
    lifecycle.register(scripted(clock, trace, "http", { dependsOn: ["db"], failStops: 1, disposable: true }));
    lifecycle.register(scripted(clock, trace, "grpc", { dependsOn: ["db"], failStops: 1 }));
    lifecycle.register({ name: "agent", dependsOn: ["http"], [Symbol.dispose]: () => { throw new Error("agent dispose failed"); } });
    await run(clock, lifecycle.start());
    const outcome = await run(clock, lifecycle.stop());
    const error = !outcome.ok ? (outcome.error as LifecycleStopError) : undefined;
    expect(error).toBeInstanceOf(LifecycleStopError);
    expect(error?.code).toBe("lifecycle-stop-failed");
    expect(error?.failures.map((f) => `${f.component}:${f.phase}`)).toEqual(["agent:dispose", "grpc:stop", "http:stop"]);
    expect(error?.errors).toHaveLength(3);
    expect(error?.message).toContain("http (stop: http stop attempt 1 failed)");
    expect(trace.filter((t) => t.what === "stop" || t.what === "disposed").map((t) => `${t.what}:${t.name}`)).toEqual([
      "stop:grpc", "stop:http", "disposed:http", "stop:db", "disposed:db",
    ]);
    expect(lifecycle.snapshot().components.map((c) => [c.name, c.status])).toEqual([
      ["db", "stopped"], ["http", "failed"], ["grpc", "failed"], ["agent", "failed"],
    ]);
    expect(lifecycle.status).toBe("failed");
    // Idempotent: a second stop reports the same outcome without calling anything again.
    const again = await run(clock, lifecycle.stop());
    expect(!again.ok && (again.error as LifecycleStopError).failures).toEqual(error?.failures);
    expect(trace.filter((t) => t.what === "stop")).toHaveLength(3);
  });

  it("an aborted stop stops waiting but still asks every component, and leaves no timer", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "db", { stopMs: 10 }));
    lifecycle.register({ name: "stuck", dependsOn: ["db"], stop: () => new Promise(() => {}) });
    lifecycle.register(scripted(clock, trace, "slow", { dependsOn: ["db"], stopMs: 5_000 }));
    await run(clock, lifecycle.start());
    const abort = new AbortController();
    const stopped = settle(lifecycle.stop(abort.signal));
    await clock.advanceAsync(1_000);
    expect(stopped.done()).toBe(false);
    abort.abort(new Error("deadline"));
    await clock.runUntilIdleAsync();
    const outcome = await stopped.outcome;
    const error = !outcome.ok ? (outcome.error as LifecycleStopError) : undefined;
    expect(error?.failures.map((f) => [f.component, (f.error as DrainkitError).code])).toEqual([
      ["slow", "lifecycle-aborted"], ["stuck", "lifecycle-aborted"], ["db", "lifecycle-aborted"],
    ]);
    expect(eventsOf(trace, "db")).toEqual(["start@0", "started@0", "stop@1000"]);
    expect(eventsOf(trace, "slow")).toEqual(["start@0", "started@0", "stop@0"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("stop before start disposes every component without starting or stopping any", async () => {
    const { clock, trace, lifecycle } = setup();
    lifecycle.register(scripted(clock, trace, "a", { disposable: true }));
    lifecycle.register(scripted(clock, trace, "b", { dependsOn: ["a"], disposable: true }));
    expect((await run(clock, lifecycle.stop())).ok).toBe(true);
    expect(trace.map((t) => `${t.what}:${t.name}`)).toEqual(["disposed:b", "disposed:a"]);
    expect(lifecycle.status).toBe("stopped");
    await expect(lifecycle.start()).rejects.toBeInstanceOf(LifecycleStateError);
  });
});

describe("LifecycleOrchestrator registrations, status and telemetry", () => {
  it("takes objects with start/stop, keeping `this`, and disposes them with Symbol.asyncDispose", async () => {
    const { clock, lifecycle } = setup();
    const calls: string[] = [];
    class Listener {
      readonly port = 8080;
      async start(): Promise<void> { calls.push(`listen:${this.port}`); }
      async stop(): Promise<void> { calls.push(`close:${this.port}`); }
      async [Symbol.asyncDispose](): Promise<void> { calls.push(`dispose:${this.port}`); }
    }
    lifecycle.register(fromComponent("http", new Listener()));
    lifecycle.register({ name: "tick", dependsOn: ["http"], start: () => void calls.push("tick") });
    await run(clock, lifecycle.start());
    await run(clock, lifecycle.stop());
    expect(calls).toEqual(["listen:8080", "tick", "close:8080", "dispose:8080"]);
  });

  it("reports a snapshot per component, ready(), typed events, metrics and logs for every transition", async () => {
    const metrics = new MemoryMetrics();
    const logger = new RecordingLogger();
    const { clock, trace, lifecycle, events } = setup({ metrics, logger, random: fixedRandom(0) });
    lifecycle.register(scripted(clock, trace, "db", { startMs: 20, failStarts: 1, retry: { start: { attempts: 2, initialDelayMs: 100, jitter: 0 } } }));
    lifecycle.register(scripted(clock, trace, "http", { startMs: 5, stopMs: 7, dependsOn: ["db"] }));
    const started = settle(lifecycle.start());
    // db: attempt 1 fails at 20, waits 100, attempt 2 runs 120..140; http then takes 5.
    await clock.advanceAsync(142);
    expect(lifecycle.ready()).toBe(false);
    expect(lifecycle.snapshot()).toMatchObject({
      status: "starting",
      components: [
        { name: "db", status: "running", startAttempts: 2, startDurationMs: 140, runningSince: 140, lastError: { message: "db start attempt 1 failed" } },
        { name: "http", status: "starting", startAttempts: 1, dependsOn: ["db"] },
      ],
    });
    await clock.runUntilIdleAsync();
    expect((await started.outcome).ok).toBe(true);
    expect(lifecycle.snapshot()).toMatchObject({ status: "running", ready: true });
    await run(clock, lifecycle.stop());

    expect(events.events.map((e) => (e.type === "lifecycle.component.transition" ? `${e.component}:${e.to}@${e.at}` : e.type === "lifecycle.transition" ? `lifecycle:${e.to}@${e.at}` : `${e.type}@${e.at}`))).toEqual([
      "lifecycle:starting@0",
      "db:starting@0",
      "lifecycle.attempt.failed@20",
      "db:running@140",
      "http:starting@140",
      "http:running@145",
      "lifecycle:running@145",
      "lifecycle:stopping@145",
      "http:stopping@145",
      "http:stopped@152",
      "db:stopping@152",
      "db:stopped@152",
      "lifecycle:stopped@152",
    ]);
    expect(events.ofType("lifecycle.attempt.failed")[0]).toEqual({
      type: "lifecycle.attempt.failed", component: "db", phase: "start", attempt: 1, error: "db start attempt 1 failed", at: 20, retryInMs: 100,
    });
    expect(metrics.value("lifecycle_components", { status: "stopped" })).toBe(2);
    expect(metrics.value("lifecycle_components", { status: "running" })).toBe(0);
    expect(metrics.value("lifecycle_attempt_failures_total", { component: "db", phase: "start" })).toBe(1);
    expect(metrics.value("lifecycle_component_transitions_total", { to: "running" })).toBe(2);
    expect(metrics.observations.get("lifecycle_component_stop_duration_ms{component=http}")).toEqual([7]);
    expect(logger.lines.filter((l) => l.level === "warn")).toEqual([
      { level: "warn", msg: "lifecycle start attempt failed; retrying", fields: { component: "db", phase: "start", attempt: 1, err: "db start attempt 1 failed", retryInMs: 100 } },
    ]);
    expect(logger.lines.filter((l) => l.level === "info").map((l) => l.msg)).toContain("lifecycle component http running");
  });

  it("stops on `await using` scope exit", async () => {
    const clock = new SimulatedClock();
    const calls: string[] = [];
    {
      await using lifecycle = new LifecycleOrchestrator({ clock, random: new SeededRandom(3), components: [{ name: "a", stop: () => void calls.push("stop") }] });
      await lifecycle.start();
    }
    expect(calls).toEqual(["stop"]);
  });
});
