import type { BudgetValue, PoolBudget } from "@drainkit/core";
import type { DeclaredCluster } from "@drainkit/registry";

const KEYS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;

/**
 * Parses one `--pool` flag: `<name>[/<role>]:<bound>=<n|n%>[,<bound>=…]`,
 * bounds `minAvailable`, `maxUnavailable`, `minSchedulable`.
 *
 * @example
 * parsePoolFlag("web/edge:maxUnavailable=25%,minAvailable=2");
 * // { name: "web", role: "edge", maxUnavailable: "25%", minAvailable: 2 }
 */
export function parsePoolFlag(flag: string): PoolBudget {
  const m = /^([A-Za-z0-9][A-Za-z0-9._~@-]*)(?:\/([A-Za-z0-9][A-Za-z0-9._~@-]*))?:(.+)$/.exec(flag);
  if (!m) throw new Error(`--pool ${flag}: expected <name>[/<role>]:<bound>=<n|n%>[,…], e.g. web:maxUnavailable=1`);
  const budget: Record<string, unknown> = { name: m[1]!, ...(m[2] === undefined ? {} : { role: m[2] }) };
  for (const part of m[3]!.split(",")) {
    const [key, value] = part.split("=", 2);
    if (!KEYS.includes(key as (typeof KEYS)[number])) throw new Error(`--pool ${flag}: unknown bound "${key}"; use ${KEYS.join(", ")}`);
    if (value === undefined || !/^\d+%?$/.test(value) || (value.endsWith("%") && Number(value.slice(0, -1)) > 100)) {
      throw new Error(`--pool ${flag}: ${key} needs a count or a percent (0-100%), e.g. ${key}=1 or ${key}=25%`);
    }
    budget[key!] = (value.endsWith("%") ? value : Number(value)) as BudgetValue;
  }
  return budget as unknown as PoolBudget;
}

/**
 * Parses one `--cluster` flag: `<id>:<active|backup>`. The first start stores
 * the declared clusters; promote / demote change them afterwards.
 *
 * @example
 * parseClusterFlag("east:active"); // { id: "east", role: "active" }
 */
export function parseClusterFlag(flag: string): DeclaredCluster {
  const m = /^([A-Za-z0-9][A-Za-z0-9._~@-]*):(active|backup)$/.exec(flag);
  if (!m) throw new Error(`--cluster ${flag}: expected <id>:active or <id>:backup, e.g. east:active`);
  return { id: m[1]!, role: m[2] as DeclaredCluster["role"] };
}
