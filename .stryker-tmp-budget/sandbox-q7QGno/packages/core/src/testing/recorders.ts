// @ts-nocheck
import type { DrainkitEvent, EventSink } from "../ports/events.ts";
import type { Logger } from "../ports/logger.ts";
import type { Counter, Gauge, Histogram, Labels, Metrics } from "../ports/metrics.ts";

/** An {@link EventSink} that keeps every event, for assertions. */
export class RecordingEventSink<E extends DrainkitEvent = DrainkitEvent> implements EventSink<E> {
  readonly events: E[] = [];
  emit(event: E): void {
    this.events.push(event);
  }
  ofType<T extends E["type"]>(type: T): Extract<E, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<E, { type: T }>[];
  }
  clear(): void {
    this.events.length = 0;
  }
}

/** A {@link Logger} that keeps every line, for assertions. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; msg: string | undefined; fields: Record<string, unknown> }[] = [];
  debug(fields: Record<string, unknown>, msg?: string): void { this.lines.push({ level: "debug", msg, fields }); }
  info(fields: Record<string, unknown>, msg?: string): void { this.lines.push({ level: "info", msg, fields }); }
  warn(fields: Record<string, unknown>, msg?: string): void { this.lines.push({ level: "warn", msg, fields }); }
  error(fields: Record<string, unknown>, msg?: string): void { this.lines.push({ level: "error", msg, fields }); }
}

const key = (name: string, labels?: Labels): string =>
  labels && Object.keys(labels).length > 0
    ? `${name}{${Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(",")}}`
    : name;

/** {@link Metrics} kept in memory: `value("drains_started_total")`. */
export class MemoryMetrics implements Metrics {
  readonly values = new Map<string, number>();
  readonly observations = new Map<string, number[]>();

  counter(name: string): Counter {
    return { inc: (labels, v = 1) => this.#add(key(name, labels), v) };
  }
  gauge(name: string): Gauge {
    return {
      set: (v, labels) => void this.values.set(key(name, labels), v),
      inc: (labels, v = 1) => this.#add(key(name, labels), v),
      dec: (labels, v = 1) => this.#add(key(name, labels), -v),
    };
  }
  histogram(name: string): Histogram {
    return {
      observe: (v, labels) => {
        const k = key(name, labels);
        const list = this.observations.get(k) ?? [];
        list.push(v);
        this.observations.set(k, list);
      },
    };
  }
  value(name: string, labels?: Labels): number {
    return this.values.get(key(name, labels)) ?? 0;
  }
  #add(k: string, v: number): void {
    this.values.set(k, (this.values.get(k) ?? 0) + v);
  }
}
