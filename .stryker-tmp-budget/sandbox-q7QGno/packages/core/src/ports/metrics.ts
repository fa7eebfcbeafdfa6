// @ts-nocheck
export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(labels?: Labels, value?: number): void;
  dec(labels?: Labels, value?: number): void;
}
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/**
 * Metrics port. Adapters map it onto prom-client; core only names the series.
 * Names are snake_case without a prefix; the adapter adds `drainkit_`.
 */
export interface Metrics {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram;
}

const noop = { inc() {}, set() {}, dec() {}, observe() {} };

/** Metrics that record nothing (the default when none is given). */
export const noopMetrics: Metrics = {
  counter: () => noop,
  gauge: () => noop,
  histogram: () => noop,
};
