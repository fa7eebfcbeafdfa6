// @ts-nocheck
import fc from "fast-check";
import { sleep, type Clock, type LifecycleRegistration, type LifecycleRetry, type PlanInput, type Random } from "../../src/index.ts";
import { flushMicrotasks, type SimulatedClock } from "../../src/testing/index.ts";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A random DAG (c<i> depends only on lower i), registered in a random order. */
export function randomDag(options: { maxComponents: number }): fc.Arbitrary<PlanInput[]> {
  return fc.integer({ min: 1, max: options.maxComponents }).chain((n) =>
    fc
      .tuple(
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
        fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
      )
      .map(([deps, order]) =>
        order.map((i) => ({ name: `c${i}`, dependsOn: i === 0 ? [] : [...new Set(deps[i]!.map((d) => `c${d % i}`))] })),
      ),
  );
}

/** Any directed graph, self-loops and cycles included. */
export function randomDigraph(options: { maxComponents: number }): fc.Arbitrary<PlanInput[]> {
  return fc.integer({ min: 1, max: options.maxComponents }).chain((n) =>
    fc
      .array(fc.array(fc.nat(n - 1), { maxLength: 2 }), { minLength: n, maxLength: n })
      .map((deps) => deps.map((ds, i) => ({ name: `c${i}`, dependsOn: [...new Set(ds.map((d) => `c${d}`))] }))),
  );
}

/** A Random that always draws `value`, so jittered delays can be computed by hand. */
export function fixedRandom(value: number): Random {
  const random: Random = { seed: 0, next: () => value, int: (min) => min, fork: () => random };
  return random;
}

export interface TraceEntry {
  readonly at: number;
  readonly name: string;
  readonly what: "start" | "started" | "start-failed" | "start-aborted" | "stop" | "stopped" | "stop-failed" | "disposed";
}

export interface ComponentScript {
  readonly dependsOn?: readonly string[];
  /** Virtual ms each start attempt takes; Infinity hangs (ignoring its signal unless `honourAbort`). */
  readonly startMs?: number;
  readonly stopMs?: number;
  /** The first N start attempts throw. */
  readonly failStarts?: number;
  /** The first N stop attempts throw. */
  readonly failStops?: number;
  /** Start waits on its signal (rejects on abort) instead of ignoring it. */
  readonly honourAbort?: boolean;
  readonly disposable?: boolean;
  readonly retry?: LifecycleRetry;
}

/**
 * A component whose start and stop take virtual time on `clock` and record
 * what happened, and when, into `trace`.
 */
export function scripted(clock: Clock, trace: TraceEntry[], name: string, script: ComponentScript = {}): LifecycleRegistration {
  let starts = 0;
  let stops = 0;
  const note = (what: TraceEntry["what"]): void => void trace.push({ at: clock.now(), name, what });
  const wait = async (ms: number, signal: AbortSignal, honour: boolean): Promise<void> => {
    if (ms === Number.POSITIVE_INFINITY) return new Promise<void>((_, reject) => honour && signal.addEventListener("abort", () => reject(signal.reason)));
    if (ms > 0) await sleep(clock, ms, honour ? signal : undefined);
  };
  return {
    name,
    ...(script.dependsOn !== undefined ? { dependsOn: script.dependsOn } : {}),
    ...(script.retry !== undefined ? { retry: script.retry } : {}),
    start: async (signal) => {
      note("start");
      const attempt = ++starts;
      try {
        await wait(script.startMs ?? 0, signal, script.honourAbort ?? true);
      } catch (e) {
        note("start-aborted");
        throw e;
      }
      if (attempt <= (script.failStarts ?? 0)) {
        note("start-failed");
        throw new Error(`${name} start attempt ${attempt} failed`);
      }
      note("started");
    },
    stop: async (signal) => {
      note("stop");
      const attempt = ++stops;
      await wait(script.stopMs ?? 0, signal, true);
      if (attempt <= (script.failStops ?? 0)) {
        note("stop-failed");
        throw new Error(`${name} stop attempt ${attempt} failed`);
      }
      note("stopped");
    },
    ...(script.disposable === true ? { [Symbol.asyncDispose]: async () => void note("disposed") } : {}),
  };
}

/** What happened to `name`, in order. */
export const eventsOf = (trace: readonly TraceEntry[], name: string): string[] =>
  trace.filter((t) => t.name === name).map((t) => `${t.what}@${t.at}`);

/** Resolves to the promise's outcome without throwing, so a test can run the clock meanwhile. */
export function settle<T>(p: Promise<T>): { readonly done: () => boolean; readonly outcome: Promise<{ ok: true; value: T } | { ok: false; error: unknown }> } {
  let done = false;
  const outcome = p.then(
    (value) => {
      done = true;
      return { ok: true as const, value };
    },
    (error: unknown) => {
      done = true;
      return { ok: false as const, error };
    },
  );
  return { done: () => done, outcome };
}

/**
 * Fires timers one at a time only until `p` settles, so a test can see which
 * timers are still pending at that moment (runUntilIdle would fire them all).
 */
export async function untilSettled<T>(clock: SimulatedClock, p: Promise<T>) {
  const s = settle(p);
  await flushMicrotasks();
  while (!s.done() && clock.step()) await flushMicrotasks();
  return s.outcome;
}
