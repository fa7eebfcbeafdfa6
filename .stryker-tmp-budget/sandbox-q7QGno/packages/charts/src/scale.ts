/** A linear domain → range mapping and the tick values to label it with. */
// @ts-nocheck

export interface LinearScale {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  /** Maps a domain value to the range; values outside the domain are clamped. */
  map(value: number): number;
}

const LIMIT = 1e300;

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/**
 * A scale over `[min, max]` (widened by one when empty or degenerate) onto
 * `[from, to]`, with about `count` round ticks inside the domain.
 *
 * @example
 * const y = linearScale(0, 1, 200, 20); // y.map(0) === 200, y.map(1) === 20
 */
export function linearScale(min: number, max: number, from: number, to: number, count = 4): LinearScale {
  // Bounded so that hi - lo stays finite for any finite input.
  const bound = (v: number): number => Math.min(LIMIT, Math.max(-LIMIT, v));
  let lo = bound(Number.isFinite(min) ? min : 0);
  let hi = bound(Number.isFinite(max) ? max : lo + 1);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-9 * Math.max(1, Math.abs(lo))) hi = lo + Math.max(1, Math.abs(lo) * 1e-6);
  const step = niceStep(hi - lo, count);
  const ticks: number[] = [];
  // Multiples of the step, computed (not accumulated) so rounding cannot drift outside the domain.
  for (let k = Math.ceil(lo / step); k * step <= hi && ticks.length < 50; k++) {
    const v = k * step;
    if (v >= lo) ticks.push(v === 0 ? 0 : v);
  }
  return {
    min: lo,
    max: hi,
    ticks,
    map(value) {
      const v = Number.isFinite(value) ? Math.min(hi, Math.max(lo, value)) : lo;
      return from + ((v - lo) / (hi - lo)) * (to - from);
    },
  };
}
