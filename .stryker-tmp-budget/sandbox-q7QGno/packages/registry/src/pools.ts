// @ts-nocheck
import type { BudgetValue, PoolBudget } from "@drainkit/core";
import { ValidationError } from "./errors.ts";
import type { Pool, PoolBounds, PoolInput } from "./types/pool.ts";

/**
 * Pools as the store holds them, checked on the way in and turned into the
 * {@link PoolBudget}s core's capacity guard and rollout planner decide with.
 */

/** What the store holds under `pools/<name>`. */
export interface PoolRecord {
  readonly name: string;
  readonly bounds: PoolBounds;
  readonly roles: Readonly<Record<string, PoolBounds>>;
  readonly generation: number;
}

const BOUNDS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._~@-]{0,62}$/;

/** Whether `name` can name a pool (what `--pool` and a peer's `pools` accept). */
export function isPoolName(name: string): boolean {
  return NAME.test(name);
}

function boundsOf(field: string, v: unknown): PoolBounds {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ValidationError(field, "expected an object of minAvailable, maxUnavailable, minSchedulable");
  const out: Record<string, BudgetValue> = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const name = field === "" ? key : `${field}.${key}`;
    if (!(BOUNDS as readonly string[]).includes(key)) throw new ValidationError(name, `unknown bound; use ${BOUNDS.join(", ")}`);
    if (typeof value === "number") {
      if (!Number.isInteger(value) || value < 0) throw new ValidationError(name, `expected a member count (a whole number >= 0) or a percent such as "25%", got ${value}`);
      out[key] = value;
    } else if (typeof value === "string" && /^\d{1,3}%$/.test(value) && Number(value.slice(0, -1)) <= 100) {
      out[key] = value as BudgetValue;
    } else {
      throw new ValidationError(name, `expected a member count (a whole number >= 0) or a percent from "0%" to "100%", got ${JSON.stringify(value)}`);
    }
  }
  return out;
}

/**
 * Checks a `PUT /control/pools/{name}` body: known bounds only, counts or
 * percents, role names like pool names, and at least one bound somewhere
 * (a pool with none would never refuse anything).
 */
export function validatePoolInput(name: string, input: unknown): { bounds: PoolBounds; roles: Record<string, PoolBounds> } {
  if (!isPoolName(name)) throw new ValidationError("name", "use 1-63 characters: letters, digits, '.', '_', '~', '@' or '-', starting with a letter or digit");
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new ValidationError("pool", "expected { minAvailable?, maxUnavailable?, minSchedulable?, roles? }");
  const { roles: rawRoles, ...rest } = input as Record<string, unknown>;
  const bounds = boundsOf("", rest);
  const roles: Record<string, PoolBounds> = {};
  if (rawRoles !== undefined) {
    if (typeof rawRoles !== "object" || rawRoles === null || Array.isArray(rawRoles)) throw new ValidationError("roles", "expected an object: role → bounds");
    for (const [role, b] of Object.entries(rawRoles as Record<string, unknown>)) {
      if (!isPoolName(role)) throw new ValidationError(`roles.${role}`, "a role name uses letters, digits, '.', '_', '~', '@' or '-'");
      roles[role] = boundsOf(`roles.${role}`, b);
    }
  }
  const count = Object.keys(bounds).length + Object.values(roles).reduce((n, b) => n + Object.keys(b).length, 0);
  if (count === 0) throw new ValidationError("pool", `pool "${name}" sets no bound; set at least one of ${BOUNDS.join(", ")} (or delete the pool)`);
  return { bounds, roles };
}

/** A stored record as callers see it. */
export function poolOf(r: PoolRecord): Pool {
  return { name: r.name, ...r.bounds, roles: r.roles, version: r.generation };
}

/** The budgets a pool stands for: one for the whole pool when it sets a bound, one per role. */
export function budgetsOf(r: { readonly name: string; readonly bounds: PoolBounds; readonly roles: Readonly<Record<string, PoolBounds>> }): PoolBudget[] {
  const out: PoolBudget[] = [];
  if (Object.keys(r.bounds).length > 0) out.push({ name: r.name, ...r.bounds });
  for (const role of Object.keys(r.roles).sort()) out.push({ name: r.name, role, ...r.roles[role]! });
  return out;
}

/**
 * Groups budgets (as `--pool` flags give them, one per pool or pool/role)
 * into one {@link PoolInput} per pool name.
 *
 * @example
 * poolInputsOf([{ name: "web", maxUnavailable: 1 }, { name: "web", role: "edge", minAvailable: 2 }]);
 * // Map { "web" => { maxUnavailable: 1, roles: { edge: { minAvailable: 2 } } } }
 */
export function poolInputsOf(budgets: readonly PoolBudget[]): Map<string, PoolInput> {
  const out = new Map<string, { bounds: Record<string, BudgetValue>; roles: Record<string, Record<string, BudgetValue>> }>();
  for (const b of budgets) {
    const entry = out.get(b.name) ?? { bounds: {}, roles: {} };
    out.set(b.name, entry);
    const target = b.role === undefined ? entry.bounds : (entry.roles[b.role] ??= {});
    for (const key of BOUNDS) if (b[key] !== undefined) target[key] = b[key];
  }
  return new Map([...out].map(([name, e]) => [name, { ...e.bounds, ...(Object.keys(e.roles).length > 0 ? { roles: e.roles } : {}) }]));
}
