import { Command, Option } from "commander";
import type { ControlClient } from "../client.ts";
import { confirmDestructive } from "../confirm.ts";
import { lineDisplay, terminalDisplay } from "../drain/display.ts";
import { followDrains, type DrainProgress } from "../drain/follow.ts";
import { describeCounts } from "../drain/moves.ts";
import { CliError, EXIT, ProblemError, usageError } from "../errors.ts";
import { parseDuration, relativeTime, type TableView } from "../output.ts";
import { auditFields, requireReason, Session, type AuditFields } from "../session.ts";
import type { DrainStatus, Page, Peer } from "../types.ts";

const peerPath = (id: string, verb = ""): string => `/control/peers/${encodeURIComponent(id)}${verb}`;

/** Every page of a peer listing, followed through `nextCursor`. */
export async function listAllPeers(client: ControlClient, query: Record<string, string | number | undefined>): Promise<Page<Peer>> {
  const items: Peer[] = [];
  let cursor: string | undefined;
  let revision = 0;
  for (;;) {
    const { body } = await client.call<Page<Peer>>("GET", "/control/peers", { query: { ...query, limit: 500, ...(cursor ? { cursor } : {}) } });
    if (revision === 0) revision = body.revision;
    items.push(...body.items);
    if (body.nextCursor === undefined) break;
    cursor = body.nextCursor;
  }
  return { items, revision };
}

const sum = (o: Readonly<Record<string, number>> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

export function peerTable(peers: readonly Peer[], now = Date.now()): TableView {
  return {
    head: ["NAME", "PHASE", "ROLES", "POOLS", "CORDONED BY", "EPOCH", "IN-FLIGHT", "WORKLOADS", "HEARTBEAT", "LABELS"],
    rows: peers.map((p) => [
      p.id,
      p.phase,
      p.roles.join(","),
      p.pools.join(",") || "-",
      Object.keys(p.spec.cordons ?? {}).join(",") || "-",
      p.epoch,
      sum(p.status?.inFlight),
      p.status ? `${p.status.workloads.owners}/${p.status.workloads.children}` : "-",
      relativeTime(p.status?.heartbeatAt, now),
      Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(",") || "-",
    ]),
  };
}

export function drainTable(statuses: readonly DrainStatus[]): TableView {
  return {
    head: ["PEER", "DRAIN", "EPOCH", "IN-FLIGHT", "OWNERS", "CHILDREN", "BLOCKING", "REASON"],
    rows: statuses.map((s) => [s.peer, s.status, s.epoch, s.remaining.inFlight, s.remaining.owners, s.remaining.children, s.blocking?.join(" ") || "-", s.reason ?? "-"]),
  };
}

interface Targeting {
  readonly selector?: string;
}

/** Peer ids from the arguments plus those a `-l key=value` selector matches. */
async function targets(s: Session, ids: readonly string[], o: Targeting): Promise<string[]> {
  const out = [...ids];
  if (o.selector !== undefined) {
    const page = await listAllPeers(s.client, { label: o.selector });
    for (const p of page.items) if (!out.includes(p.id)) out.push(p.id);
    if (page.items.length === 0) throw new CliError("Not found", `No peer matches the selector ${o.selector}.`, EXIT.notFound, "List labels with `drainctl peers list`.");
  }
  if (out.length === 0) throw usageError("name at least one peer, or select some with -l key=value");
  return out;
}

/** One peer's answer to a dry run: allowed (with what would still block) or refused (with why). */
interface DryRunResult {
  readonly peer: string;
  readonly outcome: "allowed" | "refused";
  readonly phase?: string;
  readonly drain?: DrainStatus;
  readonly problem?: { readonly code: string; readonly title: string; readonly detail: string; readonly next?: string };
}

async function dryRun(s: Session, ids: readonly string[], verb: string, body: Record<string, unknown>): Promise<void> {
  const results: DryRunResult[] = [];
  for (const id of ids) {
    try {
      const { body: value } = await s.client.call<Peer | DrainStatus>("POST", peerPath(id, `:${verb}`), { body: { ...body, dryRun: true } });
      results.push(verb === "drain" ? { peer: id, outcome: "allowed", drain: value as DrainStatus } : { peer: id, outcome: "allowed", phase: (value as Peer).phase });
    } catch (e) {
      // 401/403/5xx are not "what blocks this node": they stop the dry run.
      if (!(e instanceof ProblemError) || (e.exitCode !== EXIT.conflict && e.exitCode !== EXIT.notFound)) throw e;
      results.push({ peer: id, outcome: "refused", problem: { code: e.code, title: e.title, detail: e.message, ...(e.next ? { next: e.next } : {}) } });
    }
  }
  s.print({ dryRun: true, items: results }, () => ({
    head: ["PEER", "DRY RUN", "WOULD BE", "BLOCKING / WHY"],
    rows: results.map((r) => [
      r.peer,
      r.outcome,
      r.drain?.status ?? r.phase ?? "-",
      r.outcome === "refused" ? `${r.problem!.code}: ${r.problem!.detail}` : r.drain?.blocking?.join(" ") || "-",
    ]),
  }));
  if (results.some((r) => r.outcome === "refused")) process.exitCode = EXIT.conflict;
}

interface MutationFlags extends AuditFields, Targeting {
  readonly dryRun?: boolean;
}

async function simpleVerb(s: Session, ids: readonly string[], verb: "cordon" | "uncordon" | "resume", o: MutationFlags, body: Record<string, unknown>): Promise<void> {
  const peers = await targets(s, ids, o);
  if (o.dryRun === true) return dryRun(s, peers, verb, body);
  const out: Peer[] = [];
  for (const id of peers) out.push((await s.client.call<Peer>("POST", peerPath(id, `:${verb}`), { body })).body);
  s.print({ items: out }, () => peerTable(out));
}

interface DrainFlags extends MutationFlags {
  readonly deadline?: string;
  readonly roles?: string;
  readonly force?: boolean;
  readonly yes?: boolean;
  readonly wait: boolean;
}

async function followWithProgress(s: Session, peers: readonly string[], since: number | undefined): Promise<DrainProgress[]> {
  const stopping = new AbortController();
  const onSigint = (): void => stopping.abort();
  process.once("SIGINT", onSigint);
  const display = process.stderr.isTTY === true && s.format === "table" ? terminalDisplay(process.stderr) : lineDisplay(process.stderr);
  try {
    const result = await followDrains({ client: s.client, peers, since, display, signal: stopping.signal });
    if (stopping.signal.aborted) {
      throw new CliError(
        "Stopped following",
        `The drain of ${peers.join(", ")} goes on server-side; nothing was cancelled.`,
        EXIT.interrupted,
        `Follow it again with: drainctl peers status ${peers.join(" ")} --wait   (cancel it with: drainctl peers resume ${peers.join(" ")})`,
      );
    }
    return result;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

function reportDrains(s: Session, statuses: readonly DrainProgress[]): void {
  s.print({ items: statuses }, () => drainTable(statuses));
  // The workload moves of each followed drain, on stderr so stdout keeps its shape.
  for (const x of statuses) if (x.moves !== undefined && x.moves.done + x.moves.failed + x.moves.inFlight > 0) s.note(`${x.peer}: ${describeCounts(x.moves)}`);
  const failed = statuses.filter((x) => x.status === "failed");
  if (failed.length > 0) {
    s.note(`drain failed on ${failed.map((f) => `${f.peer} (${f.reason ?? "no reason given"})`).join(", ")}; the node stays quiesced. Retry: drainctl peers drain <peer> --reason …   or bring it back: drainctl peers resume <peer>`);
    process.exitCode = EXIT.failure;
  }
}

async function drain(s: Session, ids: readonly string[], o: DrainFlags): Promise<void> {
  const reason = requireReason(o, "drain");
  const peers = await targets(s, ids, o);
  const body: Record<string, unknown> = {
    ...auditFields(o),
    reason,
    ...(o.deadline !== undefined ? { deadlineMs: parseDuration(o.deadline) } : {}),
    ...(o.roles !== undefined ? { roles: o.roles.split(",").map((r) => r.trim()).filter(Boolean) } : {}),
    ...(o.force === true ? { force: true } : {}),
  };
  if (o.dryRun === true) return dryRun(s, peers, "drain", o.force === true ? { ...body, confirm: true } : body);
  await confirmDestructive({
    question: `${o.force === true ? "FORCE-drain (past pool budgets)" : "Drain"} ${peers.join(", ")} (reason: ${reason})?`,
    target: peers.join(","),
    twice: o.force === true,
    yes: o.yes === true,
  });
  // Read the feed position before asking, so the wait cannot miss a change that lands in between.
  const since = o.wait ? (await s.client.call<Page<Peer>>("GET", "/control/peers", { query: { limit: 1 } })).body.revision : undefined;
  const started: DrainStatus[] = [];
  for (const id of peers) {
    try {
      started.push((await s.client.call<DrainStatus>("POST", peerPath(id, ":drain"), { body: o.force === true ? { ...body, confirm: true } : body })).body);
    } catch (e) {
      if (started.length > 0) s.note(`already draining: ${started.map((x) => x.peer).join(", ")}; stopped at ${id}.`);
      throw e;
    }
  }
  if (!o.wait || started.every((x) => x.status !== "draining")) return reportDrains(s, started);
  reportDrains(s, await followWithProgress(s, peers, since));
}

async function status(s: Session, ids: readonly string[], o: Targeting & { readonly wait?: boolean }): Promise<void> {
  const peers = await targets(s, ids, o);
  if (o.wait === true) {
    const since = (await s.client.call<Page<Peer>>("GET", "/control/peers", { query: { limit: 1 } })).body.revision;
    return reportDrains(s, await followWithProgress(s, peers, since));
  }
  const out: DrainStatus[] = [];
  for (const id of peers) out.push((await s.client.call<DrainStatus>("GET", peerPath(id, "/drain"))).body);
  s.print({ items: out }, () => drainTable(out));
}

/** kubectl label syntax: `key=value` sets, `key-` removes. */
export function parseLabelChanges(args: readonly string[]): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const a of args) {
    if (a.endsWith("-") && !a.includes("=")) patch[a.slice(0, -1)] = null;
    else {
      const i = a.indexOf("=");
      if (i <= 0) throw usageError(`label "${a}": expected key=value to set or key- to remove`);
      patch[a.slice(0, i)] = a.slice(i + 1);
    }
  }
  if (Object.keys(patch).length === 0) throw usageError("name at least one label change: key=value or key-");
  return patch;
}

async function label(s: Session, id: string, changes: readonly string[], o: AuditFields): Promise<void> {
  const labels = parseLabelChanges(changes);
  // PATCH needs If-Match; a concurrent edit (412) is re-read and the merge re-applied, which is safe because a merge patch names only our keys.
  for (let attempt = 1; ; attempt++) {
    const { etag } = await s.client.call<Peer>("GET", peerPath(id));
    try {
      const { body } = await s.client.call<Peer>("PATCH", peerPath(id), {
        body: { labels, ...auditFields(o) },
        contentType: "application/merge-patch+json",
        ...(etag !== undefined ? { ifMatch: etag } : {}),
      });
      s.print(body, () => peerTable([body]));
      return;
    } catch (e) {
      if (!(e instanceof ProblemError) || e.status !== 412 || attempt >= 3) throw e;
    }
  }
}

const reasonOpts = (c: Command): Command => c.option("--reason <text>", "why; recorded in the audit log").option("--ticket <id>", "change ticket; recorded in the audit log");
const selectorOpt = (c: Command): Command => c.option("-l, --selector <key=value>", "also act on every peer with this label");

export function peersCommand(): Command {
  const peers = new Command("peers").alias("peer").description("List, inspect, cordon, drain and resume peers");

  peers
    .command("list")
    .alias("ls")
    .description("List peers (every page)")
    .option("--role <role>", "only peers serving this role")
    .addOption(new Option("--state <phase>", "only peers in this phase").choices(["active", "cordoned", "draining", "drained", "failed"]))
    .option("-l, --selector <key[=value]>", "only peers with this label")
    .option("--pool <pool>", "only members of this pool")
    .action(async (o: { role?: string; state?: string; selector?: string; pool?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const page = await listAllPeers(s.client, { role: o.role, state: o.state, label: o.selector, pool: o.pool });
      s.print(page, () => (page.items.length === 0 ? "No peers found.\n" : peerTable(page.items)));
    });

  peers
    .command("get")
    .argument("<peer>", "peer id")
    .description("One peer with its spec and status")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<Peer>("GET", peerPath(id));
      s.print(body, () => peerTable([body]));
    });

  reasonOpts(selectorOpt(peers.command("cordon").argument("[peers...]", "peer ids").description("Stop new placements on peers (traffic continues)")))
    .option("--owner <name>", "cordon owner (default: your token's id)")
    .option("--expires <duration>", "the cordon lapses after this long, e.g. 2h")
    .option("--dry-run", "server-side: run every check, change nothing, list what blocks each peer")
    .action(async (ids: string[], o: MutationFlags & { owner?: string; expires?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const reason = requireReason(o, "cordon");
      await simpleVerb(s, ids, "cordon", o, {
        ...auditFields(o),
        reason,
        ...(o.owner ? { owner: o.owner } : {}),
        ...(o.expires ? { expiresAt: Date.now() + parseDuration(o.expires) } : {}),
      });
    });

  reasonOpts(selectorOpt(peers.command("uncordon").argument("[peers...]", "peer ids").description("Remove your cordon (or a named owner's)")))
    .option("--owner <name>", "whose cordon to remove (default: your token's id)")
    .option("--dry-run", "server-side: run every check, change nothing")
    .action(async (ids: string[], o: MutationFlags & { owner?: string }, cmd: Command) => {
      await simpleVerb(new Session(cmd), ids, "uncordon", o, { ...auditFields(o), ...(o.owner ? { owner: o.owner } : {}) });
    });

  reasonOpts(selectorOpt(peers.command("drain").argument("[peers...]", "peer ids").description("Drain peers: stop new work, let in-flight work finish, move workloads away; waits with live progress")))
    .option("--deadline <duration>", "fail the drain if it is not done within this, e.g. 10m (server default otherwise)")
    .option("--roles <roles>", "comma-separated roles to drain (default: all of the peer's roles)")
    .option("--force", "past pool budgets (mesh.admin; asks twice)")
    .option("--dry-run", "server-side: run every check, change nothing, list what blocks each peer")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-wait", "return as soon as the drain is accepted")
    .action(async (ids: string[], o: DrainFlags, cmd: Command) => drain(new Session(cmd), ids, o));

  reasonOpts(selectorOpt(peers.command("resume").argument("[peers...]", "peer ids").description("Bring peers back to active (ends a drain, lifts every cordon)")))
    .option("--dry-run", "server-side: run every check, change nothing")
    .action(async (ids: string[], o: MutationFlags, cmd: Command) => simpleVerb(new Session(cmd), ids, "resume", o, auditFields(o)));

  selectorOpt(peers.command("status").argument("[peers...]", "peer ids").description("Drain status with remaining in-flight work and workloads"))
    .option("-w, --wait", "follow until every drain is drained or failed, with live progress")
    .action(async (ids: string[], o: Targeting & { wait?: boolean }, cmd: Command) => status(new Session(cmd), ids, o));

  reasonOpts(peers.command("label").argument("<peer>", "peer id").argument("<changes...>", "key=value to set, key- to remove").description("Set or remove labels (merge patch with If-Match)"))
    .action(async (id: string, changes: string[], o: AuditFields, cmd: Command) => label(new Session(cmd), id, changes, o));

  return peers;
}
