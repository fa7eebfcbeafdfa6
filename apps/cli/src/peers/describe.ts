import type { ControlClient } from "../client.ts";
import { CliError, EXIT, ProblemError } from "../errors.ts";
import { ago, formatDuration, relativeTime, renderTable } from "../output.ts";
import type { AuditEntry, DrainStatus, Page, Peer, WorkloadMove } from "../types.ts";
import { moveTable } from "../commands/moves.ts";
import { peerLiveness, peerVersion } from "./fields.ts";
import { drainReason } from "./table.ts";

/** Everything `peers describe` shows, as `-o json` prints it. */
export interface PeerDescription {
  readonly peer: Peer;
  readonly drain: DrainStatus;
  /** Undefined when the server has no moves API (gRPC to an older server). */
  readonly moves?: readonly WorkloadMove[];
  /** The newest entries for `peer/<id>`, oldest first. */
  readonly audit: readonly AuditEntry[];
}

const AUDIT_SHOWN = 10;

/** Reads the peer, its drain, its moves and its recent audit entries. */
export async function describePeer(client: ControlClient, id: string): Promise<PeerDescription> {
  const path = `/control/peers/${encodeURIComponent(id)}`;
  const [peer, drain, audit] = await Promise.all([
    client.call<Peer>("GET", path).then((r) => r.body),
    client.call<DrainStatus>("GET", `${path}/drain`).then((r) => r.body),
    client.call<Page<AuditEntry>>("GET", "/control/audit", { query: { target: `peer/${id}`, limit: 1000 } }).then((r) => r.body.items),
  ]);
  let moves: readonly WorkloadMove[] | undefined;
  try {
    moves = (await client.call<{ items: readonly WorkloadMove[] }>("GET", "/control/moves", { query: { peer: id } })).body.items;
  } catch (e) {
    if (!(e instanceof ProblemError && (e.status === 404 || e.status === 405)) && !(e instanceof CliError && e.exitCode === EXIT.usage)) throw e;
  }
  return { peer, drain, audit: audit.slice(-AUDIT_SHOWN), ...(moves === undefined ? {} : { moves }) };
}

const indent = (text: string): string =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");

/**
 * kubectl describe's layout: `Field:  value` lines, then sections for cordons
 * (by owner), the drain, workload moves and recent audit entries. Tables in
 * sections are fitted to `width` less their indent.
 */
export function describeText(d: PeerDescription, now: number, width: number | undefined): string {
  const p = d.peer;
  const inner = width === undefined ? undefined : width - 2;
  const field = (name: string, value: string): string => `${`${name}:`.padEnd(12)}${value}`;
  const roles = p.roles.map((r) => (p.phases?.[r] !== undefined && p.phases[r] !== p.phase ? `${r} (${p.phases[r]})` : r)).join(", ") || "-";
  const lines = [
    field("Name", p.id),
    field("Address", p.address),
    field("Phase", `${p.phase} (epoch ${p.epoch})`),
    field("Liveness", peerLiveness(p) ?? "-"),
    field("Version", peerVersion(p) ?? "-"),
    field("Pools", p.pools.join(", ") || "-"),
    field("Roles", roles),
    field("Labels", Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "-"),
    field("Heartbeat", ago(p.status?.heartbeatAt, now)),
    field("In-flight", p.status === undefined ? "-" : Object.entries(p.status.inFlight).map(([k, v]) => `${k}=${v}`).join(", ") || "0"),
    field("Workloads", p.status === undefined ? "-" : `${p.status.workloads.owners} owners / ${p.status.workloads.children} children`),
  ];
  const cordons = Object.entries(p.spec.cordons ?? {});
  lines.push("Cordons:");
  lines.push(
    cordons.length === 0
      ? "  none"
      : indent(renderTable({ head: ["OWNER", "EXPIRES", "REASON"], rows: cordons.map(([owner, c]) => [owner, c.expiresAt === undefined ? "never" : relativeTime(c.expiresAt, now), c.reason]) }, { width: inner })),
  );
  lines.push("Drain:");
  const dr = d.drain;
  if (dr.status === "none") lines.push("  none");
  else {
    lines.push(`  ${dr.status}, epoch ${dr.epoch}${dr.deadline === undefined ? "" : `, deadline ${dr.status === "draining" ? relativeTime(dr.deadline, now) : new Date(dr.deadline).toISOString()}`}`);
    lines.push(`  reason: ${drainReason({ ...dr, ...(p.spec.drain?.reason === undefined ? {} : { requestReason: p.spec.drain.reason }) })}`);
    lines.push(`  remaining: in-flight ${dr.remaining.inFlight}, owners ${dr.remaining.owners}, children ${dr.remaining.children}`);
    if (dr.blocking && dr.blocking.length > 0) lines.push(`  blocking: ${dr.blocking.join(" ")}`);
    if (dr.status === "draining" && dr.deadline !== undefined && dr.deadline < now) lines.push(`  overdue by ${formatDuration(now - dr.deadline)}`);
  }
  lines.push("Moves:");
  lines.push(d.moves === undefined ? "  (the server has no moves API)" : d.moves.length === 0 ? "  none" : indent(renderTable(moveTable(d.moves, now), { width: inner })));
  lines.push(`Recent audit (last ${AUDIT_SHOWN}):`);
  lines.push(
    d.audit.length === 0
      ? "  none"
      : indent(
          renderTable(
            {
              head: ["AGE", "ACTOR", "ACTION", "OUTCOME", "REASON"],
              rows: d.audit.map((e) => [ago(e.at, now), e.actor, e.action, e.outcome === "ok" ? "ok" : `${e.outcome} (${e.errorCode ?? "?"})`, e.reason ?? "-"]),
            },
            { width: inner },
          ),
        ),
  );
  return `${lines.join("\n")}\n`;
}
