// @ts-nocheck
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from "prom-client";
import type { Counter, Gauge, Histogram, Labels, Metrics } from "@drainkit/core";

/**
 * core's Metrics port on prom-client, for the `drainkit route` process's
 * `/metrics`. Series are created on first use, their label names taken
 * from that first call (the router and proxy always pass the same names).
 */
export function promMetrics(): Metrics & { readonly registry: Registry } {
  const registry = new Registry();
  const made = new Map<string, unknown>();
  const lazy = <T>(name: string, make: (labelNames: string[]) => T) => (labels?: Labels): T => {
    let m = made.get(name) as T | undefined;
    if (m === undefined) {
      m = make(Object.keys(labels ?? {}));
      made.set(name, m);
    }
    return m;
  };
  return {
    registry,
    counter(name, help): Counter {
      const get = lazy(`drainkit_${name}`, (labelNames) => new PromCounter({ name: `drainkit_${name}`, help, labelNames, registers: [registry] }));
      return { inc: (labels, value) => get(labels).inc(labels ?? {}, value ?? 1) };
    },
    gauge(name, help): Gauge {
      const get = lazy(`drainkit_${name}`, (labelNames) => new PromGauge({ name: `drainkit_${name}`, help, labelNames, registers: [registry] }));
      return {
        set: (value, labels) => get(labels).set(labels ?? {}, value),
        inc: (labels, value) => get(labels).inc(labels ?? {}, value ?? 1),
        dec: (labels, value) => get(labels).dec(labels ?? {}, value ?? 1),
      };
    },
    histogram(name, help, buckets): Histogram {
      const get = lazy(`drainkit_${name}`, (labelNames) => new PromHistogram({ name: `drainkit_${name}`, help, labelNames, registers: [registry], ...(buckets === undefined ? {} : { buckets: [...buckets] }) }));
      return { observe: (value, labels) => get(labels).observe(labels ?? {}, value) };
    },
  };
}
