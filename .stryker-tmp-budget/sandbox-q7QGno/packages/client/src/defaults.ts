// @ts-nocheck
import { SeededRandom, systemClock, type Clock, type Random } from "@drainkit/core";

/** The real clock, for callers that inject none. */
export function defaultClock(): Clock {
  return systemClock();
}

/**
 * A generator seeded from the platform's Web Crypto, which Node and browsers
 * share (core's systemRandom reads `node:crypto`, which a browser bundle lacks).
 */
export function defaultRandom(): Random {
  return new SeededRandom(globalThis.crypto.getRandomValues(new Int32Array(1))[0]!);
}
