import type { PoolBudget } from "@drainkit/core";
import { poolInputsOf, type Pool, type PoolInput, type PoolStore, type Principal } from "@drainkit/registry";

/** What one `--pool` flag set did at start: wrote a pool the store lacked, or found it already as declared. */
export interface PoolBootstrap {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
}

/**
 * A `--pool` flag names budgets other than the stored ones: the start stops
 * here, since the store (changed through the API) is what every replica enforces.
 */
export class PoolFlagConflictError extends Error {
  readonly pool: string;
  constructor(pool: string, message: string) {
    super(message);
    this.name = "PoolFlagConflictError";
    this.pool = pool;
  }
}

const BOUNDS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;

/** `web:maxUnavailable=1` and `web/edge:minAvailable=50%`: a pool as `--pool` flags spell it. */
function flagsOf(name: string, p: PoolInput): string[] {
  const spell = (target: string, b: Partial<Record<(typeof BOUNDS)[number], unknown>>): string | undefined => {
    const parts = BOUNDS.filter((k) => b[k] !== undefined).map((k) => `${k}=${String(b[k])}`);
    return parts.length === 0 ? undefined : `${target}:${parts.join(",")}`;
  };
  const out = [spell(name, p)];
  for (const [role, b] of Object.entries(p.roles ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) out.push(spell(`${name}/${role}`, b));
  return out.filter((s): s is string => s !== undefined);
}

function same(stored: Pool, flags: PoolInput): boolean {
  const norm = (p: PoolInput): string => flagsOf("x", p).join(" ");
  return norm({ ...stored, roles: stored.roles }) === norm(flags);
}

/**
 * Writes the `--pool` flags of `drainkit serve` to the store, once: a pool
 * the store lacks is written (If-Match `"0"`, so two replicas starting
 * together write it once); a pool stored with the same budgets is left as
 * is; a pool stored with other budgets is an error naming both, since the
 * store (changed through the API) is what every replica enforces.
 *
 * @example
 * await bootstrapPools(registry, admin, [{ name: "web", maxUnavailable: 1 }]); // { written: ["web"], unchanged: [] }
 */
export async function bootstrapPools(registry: PoolStore, principal: Principal, budgets: readonly PoolBudget[]): Promise<PoolBootstrap> {
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [name, input] of poolInputsOf(budgets)) {
    const stored = await current(registry, principal, name);
    if (stored === undefined) {
      try {
        await registry.putPool(principal, name, input, { ifMatch: '"0"', reason: "--pool flag at start (bootstrap: the store had no such pool)" });
        written.push(name);
        continue;
      } catch (e) {
        // Another replica wrote it first: compare with what it wrote.
        if ((e as { code?: string }).code !== "etag-mismatch") throw e;
      }
    }
    const now = stored ?? (await current(registry, principal, name));
    if (now === undefined || same(now, input)) {
      unchanged.push(name);
      continue;
    }
    const flags = flagsOf(name, input).map((f) => `--pool ${f}`).join(" ");
    const storedFlags = flagsOf(name, now).join(" ") || `${name}: no bound`;
    throw new PoolFlagConflictError(
      name,
      `pool "${name}": the flags say ${flags}, but the store holds ${storedFlags} (version ${now.version}); the store is what every replica enforces. ` +
        `Change the stored budgets with \`drainctl pools set ${name} …\` (PUT /control/pools/${name}), or drop or correct the --pool flags for "${name}".`,
    );
  }
  return { written, unchanged };
}

async function current(registry: PoolStore, principal: Principal, name: string): Promise<Pool | undefined> {
  try {
    const { pool } = await registry.getPool(principal, name);
    return pool.version === 0 ? undefined : pool;
  } catch (e) {
    if ((e as { code?: string }).code === "not-found") return undefined;
    throw e;
  }
}
