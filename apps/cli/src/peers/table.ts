import { ago, type TableView } from "../output.ts";
import type { DrainStatus, Peer } from "../types.ts";
import { peerVersion, shownPhase, sumValues } from "./fields.ts";

/**
 * Peers as a table. The narrow view keeps what an operator scans for
 * (name, phase, pools, in-flight work, heartbeat age, the version it
 * reports, which a rollout verifies); `-o wide` adds roles, cordon owners,
 * epoch, address and labels.
 *
 * @example
 * renderTable(peerTable(page.items), { width: 80 });
 */
export function peerTable(peers: readonly Peer[], now = Date.now()): TableView {
  return {
    head: ["NAME", "PHASE", "POOLS", "IN-FLIGHT", "WORKLOADS", "HEARTBEAT", "VERSION", "ROLES", "CORDONED BY", "EPOCH", "ADDRESS", "LABELS"],
    wideOnly: ["ROLES", "CORDONED BY", "EPOCH", "ADDRESS", "LABELS"],
    rows: peers.map((p) => [
      p.id,
      shownPhase(p),
      p.pools.join(",") || "-",
      sumValues(p.status?.inFlight),
      p.status ? `${p.status.workloads.owners}/${p.status.workloads.children}` : "-",
      ago(p.status?.heartbeatAt, now),
      peerVersion(p) ?? "-",
      p.roles.join(",") || "-",
      Object.keys(p.spec.cordons ?? {}).join(",") || "-",
      p.epoch,
      p.address,
      Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(",") || "-",
    ]),
  };
}

/**
 * The reason a drain was asked for, from the peer's spec, when the drain
 * status carries only why it failed.
 */
export type DrainRow = DrainStatus & { readonly requestReason?: string };

/** Why the drain was asked for, and why it failed or cannot progress when it did. */
export function drainReason(s: DrainRow): string {
  const why = s.status === "failed" ? "failed" : s.status === "draining" ? "stalled" : undefined;
  const extra = why !== undefined && s.reason !== undefined ? `${why}: ${s.reason}` : undefined;
  const asked = s.requestReason ?? (extra === undefined ? s.reason : undefined);
  return [asked, extra].filter((x) => x !== undefined).join("; ") || "-";
}

/** Drain status per peer: what is left, what blocks it, and why it was drained (or why it failed). */
export function drainTable(statuses: readonly DrainRow[]): TableView {
  return {
    head: ["PEER", "DRAIN", "IN-FLIGHT", "OWNERS", "CHILDREN", "BLOCKING", "REASON", "EPOCH"],
    wideOnly: ["EPOCH"],
    rows: statuses.map((s) => [
      s.peer,
      s.status,
      s.remaining.inFlight,
      s.remaining.owners,
      s.remaining.children,
      s.blocking?.join(" ") || "-",
      drainReason(s),
      s.epoch,
    ]),
  };
}
