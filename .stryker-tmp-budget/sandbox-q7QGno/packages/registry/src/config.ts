// @ts-nocheck
import { ValidationError } from "./errors.ts";
import type { ConfigSchema, SettingSchema } from "./types/config.ts";

export type SettingValue = string | number | boolean;

/**
 * The settings the registry itself reads. Pass `configSchema` to
 * `createRegistry` to extend or replace the allow-list.
 */
export const defaultConfigSchema: ConfigSchema = {
  "drain.defaultDeadlineMs": {
    type: "integer",
    min: 1_000,
    max: 86_400_000,
    default: 300_000,
    description: "Deadline of a drain that names none, in milliseconds.",
  },
  "heartbeat.staleAfterMs": {
    type: "integer",
    min: 1_000,
    max: 3_600_000,
    default: 30_000,
    description: "A peer whose last status report is older than this counts as unhealthy.",
  },
  "rollout.maxParallel": {
    type: "integer",
    min: 1,
    max: 10_000,
    default: 1,
    description: "Nodes a rolling upgrade drains at once when its request names no maxParallel.",
  },
  "audit.retentionDays": {
    type: "integer",
    min: 0,
    max: 36_500,
    default: 0,
    description: "The leader prunes audit entries older than this many days, after checkpointing the pruned prefix; 0 keeps them all.",
  },
  "audit.maxEntries": {
    type: "integer",
    min: 0,
    max: 1_000_000_000,
    default: 0,
    description: "The leader keeps at most this many audit entries (the newest), after checkpointing the pruned prefix; 0 sets no limit.",
  },
  "maintenance.freeze": {
    type: "boolean",
    default: false,
    description: "When true, no new rollout starts (refused with maintenance-freeze); a rollout already under way goes on (pause it to stop it).",
  },
  "approvals.enabled": { type: "boolean", default: false, description: "When true, destructive mass actions wait for a second principal's approval (the two-person rule)." },
  "approvals.massPeers": {
    type: "integer",
    min: 0,
    max: 100_000,
    default: 5,
    description: "A cordon or drain that leaves more than this many peers of a pool out of service needs approval.",
  },
  "approvals.massPercent": {
    type: "integer",
    min: 0,
    max: 100,
    default: 50,
    description: "A cordon or drain that leaves more than this percentage of a pool out of service needs approval.",
  },
  "approvals.ttlMs": { type: "integer", min: 1_000, max: 604_800_000, default: 3_600_000, description: "How long a pending change waits for approval before it expires, in milliseconds." },
};

/** Defaults of every setting in `schema`. */
export function configDefaults(schema: ConfigSchema): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  for (const [key, s] of Object.entries(schema)) out[key] = s.default;
  return out;
}

/** Checks `value` against one setting's schema; returns it or throws {@link ValidationError}. */
export function validateSetting(key: string, schema: SettingSchema, value: unknown): SettingValue {
  const fail = (problem: string): never => {
    throw new ValidationError(`config "${key}"`, problem);
  };
  switch (schema.type) {
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return fail(`expected a ${schema.type}`);
      if (schema.type === "integer" && !Number.isInteger(value)) return fail("expected a whole number");
      if (schema.min !== undefined && value < schema.min) return fail(`must be >= ${schema.min}`);
      if (schema.max !== undefined && value > schema.max) return fail(`must be <= ${schema.max}`);
      return value;
    }
    case "string":
      if (typeof value !== "string") return fail("expected a string");
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return fail(`must match ${schema.pattern}`);
      return value;
    case "boolean":
      if (typeof value !== "boolean") return fail("expected true or false");
      return value;
    case "enum":
      if (typeof value !== "string" || !schema.values.includes(value)) return fail(`expected one of ${schema.values.join(", ")}`);
      return value;
  }
}

/**
 * Applies a patch of allow-listed settings: `null` resets to the default.
 * Keys outside the allow-list are refused with a validation error naming the allowed ones.
 */
export function applyConfigPatch(schema: ConfigSchema, current: Readonly<Record<string, SettingValue>>, patch: Readonly<Record<string, unknown>>): Record<string, SettingValue> {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw new ValidationError("config patch", "expected an object of settings");
  const next: Record<string, SettingValue> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const s = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (s === undefined) throw new ValidationError(`config "${key}"`, `not an allow-listed setting (allowed: ${Object.keys(schema).join(", ")})`);
    if (value === null) delete next[key];
    else next[key] = validateSetting(key, s, value);
  }
  return next;
}
