import { serverBudgets } from "../budgets.ts";
import { EXIT, ProblemError } from "../errors.ts";
import { refinedNext } from "../nextHints.ts";
import { listAllPeers } from "../peers/list.ts";
import type { Session } from "../session.ts";
import type { DrainStatus, Peer, RegistryConfig } from "../types.ts";
import { cumulativeDrain, type CumulativeVerdict } from "./cumulative.ts";

const peerPath = (id: string, verb = ""): string => `/control/peers/${encodeURIComponent(id)}${verb}`;

/** One peer's answer to a dry run: allowed (with what would still block) or refused (with why). */
export interface DryRunResult {
  readonly peer: string;
  readonly outcome: "allowed" | "refused";
  readonly phase?: string;
  readonly drain?: DrainStatus;
  readonly problem?: { readonly code: string; readonly title: string; readonly detail: string; readonly next?: string };
  /** With several peers: what the guard says with every earlier peer of the set already drained. */
  readonly cumulative?: CumulativeVerdict;
}

/** The server's dry run of each peer alone, then (drains of several peers) the guard over the whole set in order. */
export interface DryRun {
  readonly items: readonly DryRunResult[];
  /** Why the cumulative check could not run (budgets unknown), for a note. */
  readonly note?: string;
}

/**
 * Runs the server-side dry run for every peer (`dryRun: true`: every check,
 * nothing changed). For a drain of several peers the server judges each
 * alone, so the set is then also walked in order through core's capacity
 * guard with the budgets the server enforces: "a allowed, b refused once a
 * is out" shows here, before anything is drained.
 */
export async function dryRun(s: Session, ids: readonly string[], verb: string, body: Record<string, unknown>): Promise<DryRun> {
  const items: DryRunResult[] = [];
  for (const id of ids) {
    try {
      const { body: value } = await s.client.call<Peer | DrainStatus>("POST", peerPath(id, `:${verb}`), { body: { ...body, dryRun: true } });
      items.push(verb === "drain" ? { peer: id, outcome: "allowed", drain: value as DrainStatus } : { peer: id, outcome: "allowed", phase: (value as Peer).phase });
    } catch (e) {
      // 401/403/5xx are not "what blocks this node": they stop the dry run.
      if (!(e instanceof ProblemError) || (e.exitCode !== EXIT.conflict && e.exitCode !== EXIT.notFound)) throw e;
      const next = refinedNext(e) ?? e.next;
      items.push({ peer: id, outcome: "refused", problem: { code: e.code, title: e.title, detail: e.message, ...(next ? { next } : {}) } });
    }
  }
  if (verb !== "drain" || ids.length < 2 || body["force"] === true) return { items };
  const budgets = await serverBudgets(s.client);
  if (!budgets.known) return { items, note: `${budgets.why}; each peer was checked alone, not the set in order.` };
  const [peers, config] = await Promise.all([listAllPeers(s.client, {}), s.client.call<RegistryConfig>("GET", "/control/config").then((r) => r.body)]);
  const staleAfter = config.values["heartbeat.staleAfterMs"];
  const verdicts = cumulativeDrain(peers.items, budgets.pools, ids, typeof staleAfter === "number" ? Date.now() - staleAfter : undefined);
  return {
    items: items.map((r, i) => {
      const v = verdicts[i]!;
      return r.outcome === "allowed" && v.outcome === "refused" ? { ...r, outcome: "refused", cumulative: v } : { ...r, cumulative: v };
    }),
  };
}

/** Prints a dry run (the table says why each peer is refused) and sets exit 4 when any is. */
export function printDryRun(s: Session, run: DryRun): void {
  if (run.note !== undefined) s.note(`note: ${run.note}`);
  s.print({ dryRun: true, items: run.items }, () => ({
    head: ["PEER", "DRY RUN", "WOULD BE", "BLOCKING / WHY"],
    rows: run.items.map((r) => [
      r.peer,
      r.outcome,
      r.drain?.status ?? r.phase ?? "-",
      r.problem !== undefined
        ? `${r.problem.code}: ${r.problem.detail}`
        : r.cumulative?.outcome === "refused"
          ? `pool-depletion: ${r.cumulative.detail ?? ""}`
          : r.drain?.blocking?.join(" ") || "-",
    ]),
  }));
  if (run.items.some((r) => r.outcome === "refused")) process.exitCode = EXIT.conflict;
}
