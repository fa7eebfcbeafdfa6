/**
 * Benchmark helpers. Every figure is printed as one JSON line:
 * `{"bench":"core.transitions","value":123,"unit":"ops/s","baseline":456,"ratio":0.27}`.
 * Benchmarks never assert on time; they print figures and ratios against a
 * baseline measured in the same process.
 */
// @ts-nocheck

export interface Figure {
  readonly bench: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly ratio?: number;
  readonly [extra: string]: unknown;
}

/** Prints one figure as a JSON line on stdout. */
export function figure(bench: string, value: number, unit: string, extra: { baseline?: number; [k: string]: unknown } = {}): Figure {
  const round = (n: number): number => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000);
  const out: Figure = {
    bench,
    value: round(value),
    unit,
    ...extra,
    ...(extra.baseline !== undefined ? { baseline: round(extra.baseline), ratio: round(value / extra.baseline) } : {}),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return out;
}

/** Runs `fn` repeatedly for about `ms` of wall time; returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 500): number {
  for (let i = 0; i < 1000; i++) fn(); // warm-up
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) fn();
    ops += 1000;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

/** Async variant of {@link opsPerSecond}, `concurrency` calls in flight. */
export async function opsPerSecondAsync(fn: () => Promise<unknown>, options: { ms?: number; concurrency?: number } = {}): Promise<{ opsPerSec: number; latenciesMs: number[] }> {
  const ms = options.ms ?? 1000;
  const concurrency = options.concurrency ?? 1;
  const latenciesMs: number[] = [];
  let ops = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - start < ms) {
      const t = performance.now();
      await fn();
      latenciesMs.push(performance.now() - t);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opsPerSec: (ops * 1000) / (performance.now() - start), latenciesMs };
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * Successful calls per second with `concurrency` calls in flight for `ms`;
 * `fn` gets a running call number. Failures are counted, not timed.
 */
export async function rate(fn: (n: number) => Promise<unknown>, options: { ms: number; concurrency: number }): Promise<{ opsPerSec: number; failures: number }> {
  let next = 0;
  let ok = 0;
  let failures = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - start < options.ms) {
      try {
        await fn(next++);
        ok++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { opsPerSec: (ok * 1000) / (performance.now() - start), failures };
}
export { cordonRoundTrips } from "./controlApi.ts";
