// @ts-nocheck
import type { Clock } from "@drainkit/core";
import type { RouteMember } from "../types.ts";

/** Settings of passive outlier ejection (Envoy's `consecutive_5xx` / `consecutive_gateway_failure`). */
export interface OutlierOptions {
  /** Consecutive connection failures or 5xx answers (a drain's 503 excepted) that eject a member. Default 5. */
  readonly consecutiveFailures?: number;
  /** First ejection length; each further ejection of the same member lasts one more multiple of it. Default 30 000. */
  readonly baseEjectionMs?: number;
  /** Longest ejection. Default 300 000. */
  readonly maxEjectionMs?: number;
  /** At most this share of the role's routable members is ejected at once (at least one). Default 50. */
  readonly maxEjectedPercent?: number;
}

/** Why a member left or rejoined rotation. */
export type OutlierEvent =
  | { readonly type: "ejected"; readonly member: string; readonly address: string; readonly untilMs: number; readonly failures: number }
  | { readonly type: "returned"; readonly member: string; readonly address: string };

interface Record {
  address: string;
  failures: number;
  ejections: number;
  ejectedUntil: number | undefined;
}

/** Counts consecutive failures per member and ejects outliers for a backoff period. */
export interface OutlierDetector {
  /** The member answered (any status below 500, or a drain's 503): its failure streak ends. */
  success(member: RouteMember): void;
  /** A connection failure or a 5xx; `routable` is how many members the role has now (for the ejection cap). Returns true when this ejected it. */
  failure(member: RouteMember, routable: number): boolean;
  /** True while `member` (at its current address) is ejected. */
  isEjected(member: RouteMember): boolean;
  /** Ids ejected now. */
  ejected(): readonly string[];
}

/**
 * Passive outlier ejection. Time is read from `clock` when asked, so no timer
 * runs: an ejection simply lapses. A member that comes back at a new address
 * (restarted on another port) starts afresh.
 */
export function createOutlierDetector(options: OutlierOptions & { readonly clock: Clock; readonly onEvent?: (event: OutlierEvent) => void }): OutlierDetector {
  const threshold = Math.max(1, options.consecutiveFailures ?? 5);
  const baseMs = Math.max(0, options.baseEjectionMs ?? 30_000);
  const maxMs = Math.max(baseMs, options.maxEjectionMs ?? 300_000);
  const maxPercent = Math.min(100, Math.max(0, options.maxEjectedPercent ?? 50));
  const clock = options.clock;
  const records = new Map<string, Record>();

  const recordOf = (m: RouteMember): Record => {
    let r = records.get(m.id);
    if (r === undefined || r.address !== m.address) {
      r = { address: m.address, failures: 0, ejections: 0, ejectedUntil: undefined };
      records.set(m.id, r);
    }
    return r;
  };
  const lapse = (id: string, r: Record, now: number): void => {
    if (r.ejectedUntil !== undefined && r.ejectedUntil <= now) {
      r.ejectedUntil = undefined;
      r.failures = 0;
      options.onEvent?.({ type: "returned", member: id, address: r.address });
    }
  };
  const ejectedNow = (): string[] => {
    const now = clock.now();
    const out: string[] = [];
    for (const [id, r] of records) {
      lapse(id, r, now);
      if (r.ejectedUntil !== undefined) out.push(id);
    }
    return out;
  };

  return {
    success(m) {
      const r = records.get(m.id);
      if (r !== undefined && r.address === m.address) r.failures = 0;
    },
    failure(m, routable) {
      const r = recordOf(m);
      const now = clock.now();
      lapse(m.id, r, now);
      if (r.ejectedUntil !== undefined) return false;
      r.failures++;
      if (r.failures < threshold) return false;
      const cap = Math.max(1, Math.floor((routable * maxPercent) / 100));
      if (ejectedNow().length >= cap) return false;
      r.ejections++;
      r.ejectedUntil = now + Math.min(maxMs, baseMs * r.ejections);
      options.onEvent?.({ type: "ejected", member: m.id, address: m.address, untilMs: r.ejectedUntil, failures: r.failures });
      return true;
    },
    isEjected(m) {
      const r = records.get(m.id);
      if (r === undefined || r.address !== m.address) return false;
      lapse(m.id, r, clock.now());
      return r.ejectedUntil !== undefined;
    },
    ejected: ejectedNow,
  };
}
