/**
 * Test doubles for code built on @drainkit/core: virtual time, seeded
 * randomness and recorders for events, logs and metrics.
 *
 * @example
 * import { fcParams, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
 */
// @ts-nocheck

export { SimulatedClock, flushMicrotasks } from "./SimulatedClock.ts";
export { SeededRandom } from "../ports/random.ts";
export { RecordingEventSink, RecordingLogger, MemoryMetrics } from "./recorders.ts";
export { createManualParticipant, type ManualParticipant } from "../drain/manual-participant.ts";
export { fcParams, type FcReplay } from "./fcParams.ts";
