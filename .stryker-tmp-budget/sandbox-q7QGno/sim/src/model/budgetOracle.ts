// @ts-nocheck
import type { BudgetValue, PoolBudget } from "@drainkit/core";

// The pool rules of ARCHITECTURE.md ("Capacity guard") and core's README,
// written out again here on purpose: the simulator holds core's guard to
// them, so it must not ask core (`resolveBudget`, `isAvailable`) what they are.

function percent(value: `${number}%`): number {
  return Number(value.slice(0, -1));
}

/**
 * Members a pool of `size` must keep available: the stricter of
 * `minAvailable` (a percent rounds up) and `size - maxUnavailable` (a percent
 * rounds down, yet a non-zero percent of a pool of two or more lets one go).
 *
 * @example
 * requiredMembers({ name: "web", maxUnavailable: "10%" }, 5); // 4: 10% of 5 rounds to 0, at least 1 may go
 */
export function requiredMembers(pool: PoolBudget, size: number): number {
  let required = 0;
  const min: BudgetValue | undefined = pool.minAvailable;
  if (min !== undefined) required = typeof min === "number" ? min : Math.ceil((percent(min) * size) / 100 - 1e-9);
  const max: BudgetValue | undefined = pool.maxUnavailable;
  if (max !== undefined) {
    let away: number;
    if (typeof max === "number") away = max;
    else {
      const p = percent(max);
      away = Math.floor((p * size) / 100 + 1e-9);
      if (p > 0 && size >= 2 && away === 0) away = 1;
    }
    required = Math.max(required, size - away);
  }
  return Math.max(0, required);
}

/** A member counts as available while its host is up and its phase still serves traffic (a cordon keeps serving). */
export function servesTraffic(phase: string): boolean {
  return phase === "active" || phase === "cordoned";
}
