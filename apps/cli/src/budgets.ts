import type { PoolBudget } from "@drainkit/core";
import type { ControlClient } from "./client.ts";

/** The pool budgets the server enforces, and where they came from, or why they are not known. */
export type ServerBudgets = { readonly known: true; readonly pools: readonly PoolBudget[]; readonly source: string } | { readonly known: false; readonly why: string };

/**
 * Reads the budgets the control plane enforces. The REST API has no pools
 * resource yet; the dashboard's session endpoint (`GET /ui/api/session`)
 * publishes the budgets `drainkit serve --pool` was started with, so that
 * is where they are read. Over gRPC alone, or from a server without it,
 * they are unknown and callers say so.
 *
 * @example
 * const b = await serverBudgets(session.client);
 * if (!b.known) session.note(`note: ${b.why}`);
 */
export async function serverBudgets(client: ControlClient): Promise<ServerBudgets> {
  try {
    const { body } = await client.call<{ pools?: readonly PoolBudget[] }>("GET", "/ui/api/session");
    if (!Array.isArray(body?.pools)) return { known: false, why: `${client.server} does not publish its pool budgets (GET /ui/api/session has no pools)` };
    return { known: true, pools: body.pools, source: `${client.server}/ui/api/session` };
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { known: false, why: `the pool budgets of ${client.server} could not be read (GET /ui/api/session: ${why})` };
  }
}
