// @ts-nocheck
import type { Random } from "@drainkit/core";
import type { Span } from "../scenario/types.ts";

function normal(random: Random): number {
  const u1 = 1 - random.next();
  const u2 = random.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A Poisson count with mean `mean`, by inverse transform (one uniform per
 * draw: the traffic model draws one per node per tick, so this is its hot
 * path); a rounded normal above a mean of 60.
 */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  let u = random.next();
  let p = Math.exp(-mean);
  let k = 0;
  while (u > p) {
    u -= p;
    k++;
    p *= mean / k;
    if (p === 0) break;
  }
  return k;
}


/**
 * Binomial draws for one success probability `p`, by inverse transform over
 * the smaller tail with `(1 − p)^n` precomputed for small `n`: the traffic
 * model draws one per node per tick with the same `p`.
 */
export class BinomialTable {
  readonly p: number;
  readonly #flip: boolean;
  readonly #small: number;
  readonly #ratio: number;
  readonly #pow: Float64Array;

  constructor(p: number, maxN = 256) {
    this.p = p;
    this.#flip = p > 0.5;
    this.#small = this.#flip ? 1 - p : p;
    this.#ratio = this.#small / (1 - this.#small);
    this.#pow = new Float64Array(maxN + 1);
    for (let n = 0; n <= maxN; n++) this.#pow[n] = Math.pow(1 - this.#small, n);
  }

  draw(random: Random, n: number): number {
    if (n <= 0) return 0;
    if (n >= this.#pow.length) return binomial(random, n, this.p);
    let u = random.next();
    let prob = this.#pow[n]!;
    const ratio = this.#ratio;
    let k = 0;
    while (u > prob && k < n) {
      u -= prob;
      prob *= ((n - k) / (k + 1)) * ratio;
      k++;
    }
    return this.#flip ? n - k : k;
  }
}

/** A binomial count of `n` trials with success probability `p`, by inverse transform; normal for large `n·p`. */
export function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const mean = n * p;
  if (mean > 60 && n * (1 - p) > 60) return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * normal(random))));
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  const ratio = p / (1 - p);
  let u = random.next();
  let prob = Math.pow(1 - p, n);
  let k = 0;
  while (u > prob && k < n) {
    u -= prob;
    prob *= ((n - k) / (k + 1)) * ratio;
    k++;
  }
  return k;
}

/** A value from a {@link Span}: the number itself, or uniform in `[min, max]`. */
export function span(random: Random, value: Span | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") return value;
  const lo = Math.min(value.min, value.max);
  const hi = Math.max(value.min, value.max);
  return lo + (hi - lo) * random.next();
}

/** `count` distinct integers from `[0, n)`, in draw order (partial Fisher–Yates). */
export function pick(random: Random, n: number, count: number): number[] {
  const k = Math.min(n, count);
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = random.int(i, n - 1);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(vj);
  }
  return out;
}

/**
 * A small seeded generator (sfc32) behind core's `Random` port, for the
 * traffic model's hot loop, which draws two numbers per node per tick and
 * needs neither 53-bit resolution nor jumps. Seeded from core's `SeededRandom`
 * so a run is still replayed from its one seed.
 */
export class TrafficRandom implements Random {
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.seed = seed | 0;
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = this.seed ^ 0xdeadbeef;
    for (let i = 0; i < 16; i++) this.#step();
  }

  #step(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.#step() / 4294967296;
  }

  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`int(${min}, ${max}): max must be >= min`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  fork(): Random {
    return new TrafficRandom(this.#step() | 0);
  }
}
