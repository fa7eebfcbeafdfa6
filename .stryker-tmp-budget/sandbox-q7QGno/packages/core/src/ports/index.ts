// @ts-nocheck
export { type Clock, type TimerHandle, sleep } from "./clock.ts";
export { type Random, SeededRandom } from "./random.ts";
export { type Logger, silentLogger } from "./logger.ts";
export { type Metrics, type Counter, type Gauge, type Histogram, type Labels, noopMetrics } from "./metrics.ts";
export { type DrainkitEvent, type EventSink, nullEventSink } from "./events.ts";
export { systemClock, systemRandom } from "./system.ts";
