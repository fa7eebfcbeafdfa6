/**
 * @drainkit/core: the pure, deterministic heart of drainkit. No I/O; time and
 * randomness arrive through the Clock and Random ports.
 */
// @ts-nocheck

export * from "./ports/index.ts";
export * from "./backoff/index.ts";
export * from "./paging/index.ts";
export * from "./errors/index.ts";
export * from "./budget/index.ts";
export * from "./state/index.ts";
export * from "./scheduler/index.ts";
export * from "./drain/index.ts";
export * from "./lifecycle/index.ts";
export * from "./rollout/index.ts";
export * from "./election/index.ts";
