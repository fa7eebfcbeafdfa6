// @ts-nocheck
import type { BudgetValue } from "@drainkit/core";
import type { Pool, PoolBounds, PoolInput } from "@drainkit/registry";

/**
 * Pools on the wire: each bound a string (`"2"` or `"25%"`) so one field
 * carries both forms; a count goes back to a number on the way in.
 */

type Wire = Record<string, unknown>;
const BOUNDS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;

function boundsToWire(b: PoolBounds): Wire {
  const out: Wire = {};
  for (const k of BOUNDS) if (b[k] !== undefined) out[k] = String(b[k]);
  return out;
}

/** A wire bound back to a count or a percent; anything else passes as is, for the registry to refuse by name. */
function boundsFromWire(w: unknown): PoolBounds {
  const out: Record<string, unknown> = {};
  if (w === null || typeof w !== "object") return {};
  for (const k of BOUNDS) {
    const v = (w as Wire)[k];
    if (typeof v !== "string") continue;
    out[k] = /^\d+$/.test(v) ? Number(v) : v;
  }
  return out as Record<string, BudgetValue>;
}

export function poolToWire(p: Pool): Wire {
  const { name, roles, version, ...bounds } = p;
  return { name, bounds: boundsToWire(bounds), roles: Object.fromEntries(Object.entries(roles).map(([r, b]) => [r, boundsToWire(b)])), version, etag: `"${version}"` };
}

export function poolFromWire(w: Wire): Pool {
  const roles = (w["roles"] ?? {}) as Record<string, unknown>;
  return { name: String(w["name"] ?? ""), ...boundsFromWire(w["bounds"]), roles: Object.fromEntries(Object.entries(roles).map(([r, b]) => [r, boundsFromWire(b)])), version: Number(w["version"] ?? 0) };
}

/** A `PutPoolRequest` as the registry's input. */
export function poolInputFromWire(w: Wire): PoolInput {
  const roles = (w["roles"] ?? {}) as Record<string, unknown>;
  const entries = Object.entries(roles);
  return { ...boundsFromWire(w["bounds"]), ...(entries.length > 0 ? { roles: Object.fromEntries(entries.map(([r, b]) => [r, boundsFromWire(b)])) } : {}) };
}

/** A pool input as a `PutPoolRequest`'s fields. */
export function poolInputToWire(input: PoolInput): Wire {
  const { roles, ...bounds } = input;
  return { bounds: boundsToWire(bounds), roles: Object.fromEntries(Object.entries(roles ?? {}).map(([r, b]) => [r, boundsToWire(b)])) };
}
