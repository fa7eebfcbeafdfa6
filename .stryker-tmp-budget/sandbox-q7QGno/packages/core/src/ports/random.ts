// @ts-nocheck
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

/**
 * Randomness enters core only through this port. Implementations are seeded,
 * so a run can be replayed from its seed.
 */
export interface Random {
  /** The seed this generator started from (print it on failure to replay). */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** An independent generator derived from this one (for sub-systems). */
  fork(): Random;
}

/**
 * A seeded {@link Random} built on pure-rand's xoroshiro128+.
 *
 * @example
 * const r = new SeededRandom(42);
 * r.int(1, 6); // same value on every run with seed 42
 */
export class SeededRandom implements Random {
  readonly seed: number;
  #rng: JumpableRandomGenerator;

  constructor(seed: number) {
    this.seed = seed | 0;
    this.#rng = xoroshiro128plus(this.seed);
  }

  next(): number {
    return uniformFloat64(this.#rng);
  }

  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`int(${min}, ${max}): max must be >= min`);
    return uniformInt(this.#rng, min, max);
  }

  fork(): Random {
    return new SeededRandom(uniformInt(this.#rng, -0x80000000, 0x7fffffff));
  }
}
