import type { PoolBudget } from "@drainkit/core";
import type { ControlClient } from "./client.ts";

/** The budgets the server enforces, and where they came from, or why they are not known. */
export type ServerBudgets = { readonly known: true; readonly pools: readonly PoolBudget[]; readonly source: string } | { readonly known: false; readonly why: string };

type Bounds = Pick<PoolBudget, "minAvailable" | "maxUnavailable" | "minSchedulable">;

/** A pool as `GET /control/pools` answers it: its pool-wide bounds, bounds per role, its version. */
export interface StoredPool extends Bounds {
  readonly name: string;
  readonly roles?: Readonly<Record<string, Bounds>>;
  readonly version: number;
}

const BOUNDS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;

/** A stored pool as the budgets core decides with: the pool-wide one when it sets a bound, then one per role. */
export function budgetsOfPool(p: StoredPool): PoolBudget[] {
  const pick = (b: Bounds): Bounds => Object.fromEntries(BOUNDS.filter((k) => b[k] !== undefined).map((k) => [k, b[k]]));
  const out: PoolBudget[] = [];
  if (Object.keys(pick(p)).length > 0) out.push({ name: p.name, ...pick(p) });
  for (const [role, b] of Object.entries(p.roles ?? {}).sort(([x], [y]) => (x < y ? -1 : 1))) out.push({ name: p.name, role, ...pick(b) });
  return out;
}

/**
 * Reads the budgets the control plane enforces: the pools stored on the
 * server (`GET /control/pools`, REST or gRPC), which every replica reads.
 *
 * @example
 * const b = await serverBudgets(session.client);
 * if (!b.known) session.note(`note: ${b.why}`);
 */
export async function serverBudgets(client: ControlClient): Promise<ServerBudgets> {
  try {
    const { body } = await client.call<{ items?: readonly StoredPool[] }>("GET", "/control/pools");
    if (!Array.isArray(body?.items)) return { known: false, why: `${client.server} does not list its pools (GET /control/pools has no items)` };
    return { known: true, pools: body.items.flatMap(budgetsOfPool), source: `${client.server}/control/pools` };
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { known: false, why: `the pool budgets of ${client.server} could not be read (GET /control/pools: ${why})` };
  }
}
