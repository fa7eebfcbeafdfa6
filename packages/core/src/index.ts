/**
 * @drainkit/core: the pure, deterministic heart of drainkit. No I/O; time and
 * randomness arrive through the Clock and Random ports.
 */
export * from "./ports/index.ts";
export { DrainkitError, isDrainkitError, type DrainkitErrorOptions } from "./errors.ts";
