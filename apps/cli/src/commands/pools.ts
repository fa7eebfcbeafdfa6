import { Command } from "commander";
import { confirmDestructive } from "../confirm.ts";
import { usageError } from "../errors.ts";
import { auditFields, Session, type AuditFields } from "../session.ts";
import type { StoredPool } from "../budgets.ts";

interface PoolFlags extends AuditFields {
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly ifMatch?: string;
}

const BOUNDS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;
type Bound = (typeof BOUNDS)[number];
type Bounds = Partial<Record<Bound, number | string>>;

/** One row per budget: the pool-wide one, then one per role. */
const table = (items: readonly StoredPool[]) => ({
  head: ["POOL", "ROLE", "MIN-AVAILABLE", "MAX-UNAVAILABLE", "MIN-SCHEDULABLE", "VERSION"],
  rows: items.flatMap((p) => {
    const row = (role: string, b: Bounds) => [p.name, role, ...BOUNDS.map((k) => (b[k] === undefined ? "-" : String(b[k]))), p.version];
    return [row("*", p), ...Object.entries(p.roles ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, b]) => row(role, b))];
  }),
});

/**
 * `maxUnavailable=1 edge.minAvailable=50%` → the body of `PUT /control/pools/{name}`:
 * `<bound>=<n|n%>` for the whole pool, `<role>.<bound>=…` for one role.
 *
 * @example
 * parsePoolBounds(["maxUnavailable=1", "edge.minAvailable=50%"]);
 * // { maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } } }
 */
export function parsePoolBounds(pairs: readonly string[]): Bounds & { roles?: Record<string, Bounds> } {
  const out: Bounds & { roles?: Record<string, Bounds> } = {};
  for (const pair of pairs) {
    const m = /^(?:([A-Za-z0-9][A-Za-z0-9._~@-]*)\.)?([A-Za-z]+)=(\d+%?)$/.exec(pair);
    const bound = m?.[2] as Bound | undefined;
    if (!m || bound === undefined || !BOUNDS.includes(bound)) {
      throw usageError(`"${pair}": expected [<role>.]<bound>=<n|n%> with bound ${BOUNDS.join(", ")}`, "e.g. drainctl pools set web maxUnavailable=1 edge.minAvailable=50%");
    }
    const value = m[3]!.endsWith("%") ? m[3]! : Number(m[3]);
    const role = m[1];
    if (role === undefined) out[bound] = value;
    else ((out.roles ??= {})[role] ??= {})[bound] = value;
  }
  return out;
}

const path = (name: string): string => `/control/pools/${encodeURIComponent(name)}`;

/** `drainctl pools list|get|set|delete`: the budgets every replica enforces, as the store holds them. */
export function poolsCommand(): Command {
  const pools = new Command("pools").alias("pool").description("Pool budgets as every control-plane replica enforces them: list, read, set, delete");

  pools
    .command("list")
    .alias("ls")
    .description("Every declared pool and its budgets")
    .action(async (_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<{ items: StoredPool[] }>("GET", "/control/pools");
      s.print(body, () => (body.items.length === 0 ? "No pools declared (drainctl pools set <name> maxUnavailable=1 declares one).\n" : table(body.items)));
    });

  pools
    .command("get")
    .argument("<pool>", "pool name")
    .description("One pool's budgets and version (its ETag)")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<StoredPool>("GET", path(name));
      s.print(body, () => table([body]));
    });

  pools
    .command("set")
    .argument("<pool>", "pool name")
    .argument("<bound=value...>", "[<role>.]minAvailable|maxUnavailable|minSchedulable=<n|n%>; replaces every bound of the pool")
    .description("Declare a pool or replace its budgets (mesh.admin; asks once)")
    .option("--if-match <etag>", "only if the pool is still at this version (from `pools get`); \"0\": only if it does not exist yet")
    .option("--reason <text>", "why; recorded in the audit log")
    .option("--ticket <id>", "change ticket; recorded in the audit log")
    .option("--dry-run", "server-side: run every check, change nothing")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name: string, pairs: string[], o: PoolFlags, cmd: Command) => {
      const s = new Session(cmd);
      const bounds = parsePoolBounds(pairs);
      if (o.dryRun !== true) await confirmDestructive({ question: `Set the budgets of pool ${name} to ${pairs.join(" ")} (every replica enforces them at once)?`, target: name, yes: o.yes === true });
      const { body } = await s.client.call<StoredPool>("PUT", path(name), {
        body: { ...bounds, ...auditFields(o), ...(o.dryRun === true ? { dryRun: true } : {}) },
        ...(o.ifMatch === undefined ? {} : { ifMatch: /^(W\/)?"/.test(o.ifMatch) ? o.ifMatch : `"${o.ifMatch}"` }),
      });
      s.print(body, () => table([body]));
    });

  pools
    .command("delete")
    .alias("rm")
    .argument("<pool>", "pool name")
    .description("Remove a pool's budgets: its members may then all be drained at once (mesh.admin; asks twice)")
    .option("--if-match <etag>", "only if the pool is still at this version (from `pools get`)")
    .option("--reason <text>", "why; recorded in the audit log")
    .option("--ticket <id>", "change ticket; recorded in the audit log")
    .option("--dry-run", "server-side: run every check, change nothing")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name: string, o: PoolFlags, cmd: Command) => {
      const s = new Session(cmd);
      if (o.dryRun !== true) await confirmDestructive({ question: `Delete pool ${name}? Nothing will limit how many of its members drain at once.`, target: name, twice: true, yes: o.yes === true });
      const { body } = await s.client.call<StoredPool>("DELETE", path(name), {
        body: { ...auditFields(o), confirm: true, ...(o.dryRun === true ? { dryRun: true } : {}) },
        ...(o.ifMatch === undefined ? {} : { ifMatch: /^(W\/)?"/.test(o.ifMatch) ? o.ifMatch : `"${o.ifMatch}"` }),
      });
      s.print(body, () => table([body]));
    });
  return pools;
}
