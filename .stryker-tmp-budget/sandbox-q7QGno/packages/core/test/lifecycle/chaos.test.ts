// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LifecycleOrchestrator, type LifecycleEvent } from "../../src/index.ts";
import { fcParams, RecordingEventSink, SeededRandom, SimulatedClock } from "../../src/testing/index.ts";
import { scripted, settle, type ComponentScript, type TraceEntry } from "./harness.ts";

const COMPONENTS = 500;

describe("LifecycleOrchestrator chaos", () => {
  it("500 components with random failures, timeouts, hangs and aborts: no deadlock, order kept, no leaked timer", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const r = new SeededRandom(seed);
        const clock = new SimulatedClock();
        const trace: TraceEntry[] = [];
        const events = new RecordingEventSink<LifecycleEvent>();
        const lifecycle = new LifecycleOrchestrator({ clock, random: r.fork(), events });
        const scripts = new Map<string, ComponentScript>();
        // Calm runs only see failures that retries absorb, so they reach running
        // and stop 500 live components; stormy runs also fail and hang for good.
        const stormy = r.next() < 0.6;
        for (let i = 0; i < COMPONENTS; i++) {
          const dependsOn = i === 0 ? [] : [...new Set(Array.from({ length: r.int(0, 3) }, () => `c${r.int(0, i - 1)}`))];
          const hangs = stormy && r.next() < 0.005;
          const transient = r.next() < 0.05 ? r.int(1, 2) : 0;
          const failStarts = stormy && r.next() < 0.005 ? 9 : transient;
          const script: ComponentScript = {
            dependsOn,
            startMs: hangs ? Number.POSITIVE_INFINITY : r.int(0, 50),
            honourAbort: r.next() < 0.7,
            stopMs: r.int(0, 30),
            failStarts,
            failStops: r.next() < 0.05 ? r.int(1, 2) : 0,
            disposable: r.next() < 0.5,
            retry: {
              start: {
                attempts: r.int(transient + 1, 4),
                initialDelayMs: r.int(1, 50),
                ...(hangs || r.next() < 0.3 ? { timeoutMs: stormy ? r.int(10, 80) : r.int(51, 120) } : {}),
              },
              stop: { attempts: r.int(1, 2), initialDelayMs: r.int(1, 20), timeoutMs: 100 },
            },
          };
          scripts.set(`c${i}`, script);
        }
        // Registration order shuffled, so it is not already a topological order.
        const names = [...scripts.keys()];
        for (let i = names.length - 1; i > 0; i--) {
          const j = r.int(0, i);
          [names[i], names[j]] = [names[j]!, names[i]!];
        }
        for (const name of names) lifecycle.register(scripted(clock, trace, name, scripts.get(name)!));

        const abort = new AbortController();
        const abortAt = stormy && r.next() < 0.4 ? r.int(0, 400) : undefined;
        if (abortAt !== undefined) clock.setTimer(abortAt, () => abort.abort(new Error("chaos abort")));
        const started = settle(lifecycle.start(abort.signal));
        await clock.runUntilIdleAsync();
        expect(started.done()).toBe(true);
        const startOutcome = await started.outcome;
        if (startOutcome.ok) expect(lifecycle.snapshot().components.every((c) => c.status === "running")).toBe(true);

        const stopped = settle(lifecycle.stop());
        await clock.runUntilIdleAsync();
        expect(stopped.done()).toBe(true);
        expect(clock.pendingTimers).toBe(0);

        const first = new Map<string, number>();
        const last = new Map<string, number>();
        const startedAt = new Map<string, number>();
        for (const t of trace) {
          const key = `${t.name}:${t.what}`;
          if (!first.has(key)) first.set(key, t.at);
          last.set(key, t.at);
          if (t.what === "started" && !startedAt.has(t.name)) startedAt.set(t.name, t.at);
        }
        for (const [name, script] of scripts) {
          const startCalled = first.get(`${name}:start`);
          for (const dep of script.dependsOn ?? []) {
            if (startCalled !== undefined) expect(startedAt.get(dep)).toBeLessThanOrEqual(startCalled);
            const depStop = first.get(`${dep}:stop`);
            const ownStop = last.get(`${name}:stop`);
            if (depStop !== undefined && ownStop !== undefined) expect(ownStop).toBeLessThanOrEqual(depStop);
          }
          if (script.disposable === true) expect(trace.filter((t) => t.name === name && t.what === "disposed")).toHaveLength(1);
        }
        for (const c of lifecycle.snapshot().components) {
          expect(["pending", "stopped", "failed"]).toContain(c.status);
          if (c.status === "pending") expect(first.get(`${c.name}:start`)).toBeUndefined();
        }
        expect(["stopped", "failed"]).toContain(lifecycle.status);
        // Whole waves start, in plan order, however the run went.
        const order = lifecycle.order();
        const recorded = events.ofType("lifecycle.component.transition").filter((e) => e.to === "starting").map((e) => e.component);
        expect(recorded).toEqual(order.slice(0, recorded.length));
      }),
      fcParams({ numRuns: 25 }),
    );
  });
});
