import { isStaged, noteStaged, type Approval } from "../approvals.ts";
import { Command, Option } from "commander";
import type { ControlClient } from "../client.ts";
import { confirmDestructive } from "../confirm.ts";
import { dryRun, printDryRun } from "../drain/check.ts";
import { lineDisplay, terminalDisplay } from "../drain/display.ts";
import { followDrains, type DrainProgress } from "../drain/follow.ts";
import { describeCounts } from "../drain/moves.ts";
import { CliError, EXIT, ProblemError, usageError } from "../errors.ts";
import { parseDuration } from "../output.ts";
import { describePeer, describeText } from "../peers/describe.ts";
import { listAllPeers, PEER_PAGE, peerPage, streamPeerTable } from "../peers/list.ts";
import { drainTable, peerTable, type DrainRow } from "../peers/table.ts";
import { auditFields, requireReason, Session, type AuditFields } from "../session.ts";
import { aboutPeer } from "../nextHints.ts";
import { outputWidth } from "../terminal/width.ts";
import type { DrainStatus, Page, Peer } from "../types.ts";

const peerPath = (id: string, verb = ""): string => `/control/peers/${encodeURIComponent(id)}${verb}`;

// Kept here too: bench and other commands import them from this file.
export { listAllPeers, peerTable, drainTable };

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

interface MutationFlags extends AuditFields, Targeting {
  readonly dryRun?: boolean;
}

async function simpleVerb(s: Session, ids: readonly string[], verb: "cordon" | "uncordon" | "resume", o: MutationFlags, body: Record<string, unknown>): Promise<void> {
  const peers = await targets(s, ids, o);
  if (o.dryRun === true) return printDryRun(s, await dryRun(s, peers, verb, body));
  const out: Peer[] = [];
  const pending: Approval[] = [];
  for (const id of peers) {
    try {
      const { status, body: answer } = await s.client.call<Peer>("POST", peerPath(id, `:${verb}`), { body });
      if (isStaged(status, answer)) {
        noteStaged(s, answer);
        pending.push(answer);
      } else out.push(answer);
    } catch (e) {
      throw aboutPeer(e, id);
    }
  }
  s.print(pending.length === 0 ? { items: out } : { items: out, pending }, () => (out.length === 0 ? "Nothing changed yet: every change waits for approval.\n" : peerTable(out)));
}

interface DrainFlags extends MutationFlags {
  readonly deadline?: string;
  readonly roles?: string;
  readonly force?: boolean;
  readonly yes?: boolean;
  readonly wait: boolean;
  readonly sequential?: boolean;
}

async function followWithProgress(s: Session, peers: readonly string[], since: number | undefined): Promise<DrainProgress[]> {
  const stopping = new AbortController();
  const onSigint = (): void => stopping.abort();
  process.once("SIGINT", onSigint);
  const display = process.stderr.isTTY === true && s.human ? terminalDisplay(process.stderr) : lineDisplay(process.stderr, outputWidth(process.stderr));
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

/** Adds why each drain was asked for (the peer's `spec.drain.reason`) for the REASON column; JSON keeps the API's shape. */
async function withRequestReasons(client: ControlClient, statuses: readonly DrainStatus[]): Promise<DrainRow[]> {
  if (statuses.length === 0) return [];
  const peers = statuses.length > 5 ? (await listAllPeers(client, {})).items : await Promise.all(statuses.map(async (x) => (await client.call<Peer>("GET", peerPath(x.peer))).body));
  const reasons = new Map(peers.map((p) => [p.id, p.spec.drain?.reason]));
  return statuses.map((x) => {
    const r = reasons.get(x.peer);
    return r === undefined ? x : { ...x, requestReason: r };
  });
}

async function reportDrains(s: Session, statuses: readonly DrainProgress[]): Promise<void> {
  const rows = s.human ? await withRequestReasons(s.client, statuses) : statuses;
  s.print({ items: statuses }, () => drainTable(rows));
  // The workload moves of each followed drain, on stderr so stdout keeps its shape.
  for (const x of statuses) if (x.moves !== undefined && x.moves.done + x.moves.failed + x.moves.inFlight > 0) s.note(`${x.peer}: ${describeCounts(x.moves)}`);
  const failed = statuses.filter((x) => x.status === "failed");
  if (failed.length > 0) {
    const ids = failed.map((f) => f.peer).join(" ");
    s.note(`drain failed on ${failed.map((f) => `${f.peer} (${f.reason ?? "no reason given"})`).join(", ")}; the node stays quiesced. Retry: drainctl peers drain ${ids} --reason "…"   or bring it back: drainctl peers resume ${ids}`);
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
    ...(o.force === true ? { force: true, confirm: true } : {}),
  };
  if (o.sequential === true && !o.wait) throw usageError("--sequential waits for each drain before the next; it cannot be combined with --no-wait");
  if (o.dryRun === true) return printDryRun(s, await dryRun(s, peers, "drain", body));
  if (o.sequential === true) {
    await confirmDestructive({ question: `Drain ${peers.join(", ")} one at a time (reason: ${reason})?`, target: peers.join(","), twice: o.force === true, yes: o.yes === true });
    return drainSequentially(s, peers, body, reason);
  }
  // The budget check comes before the question: nobody should say yes to a drain the guard then refuses.
  const check = await dryRun(s, peers, "drain", body);
  if (check.items.some((r) => r.outcome === "refused")) {
    printDryRun(s, check);
    const refused = check.items.filter((r) => r.outcome === "refused").map((r) => r.peer);
    throw new CliError(
      "Refused before anything changed",
      `The guard would refuse ${refused.join(", ")}; nothing was drained.`,
      EXIT.conflict,
      refused.length < peers.length
        ? `Drain the others first and these once the pool has room: drainctl peers drain ${peers.join(" ")} --sequential --reason ${JSON.stringify(reason)}`
        : (check.items.find((r) => r.outcome === "refused")?.problem?.next ?? `See why: drainctl peers describe ${refused[0]}`),
    );
  }
  if (check.note !== undefined) s.note(`note: ${check.note}`);
  await confirmDestructive({
    question: `${o.force === true ? "FORCE-drain (past pool budgets)" : "Drain"} ${peers.join(", ")} (reason: ${reason})?`,
    target: peers.join(","),
    twice: o.force === true,
    yes: o.yes === true,
  });
  // Read the feed position before asking, so the wait cannot miss a change that lands in between.
  const since = o.wait ? (await s.client.call<Page<Peer>>("GET", "/control/peers", { query: { limit: 1 } })).body.revision : undefined;
  const started: DrainStatus[] = [];
  const pending: Approval[] = [];
  for (const id of peers) {
    try {
      const { status, body: answer } = await s.client.call<DrainStatus>("POST", peerPath(id, ":drain"), { body });
      if (isStaged(status, answer)) {
        noteStaged(s, answer);
        pending.push(answer);
        continue;
      }
      started.push(answer);
    } catch (e) {
      aboutPeer(e, id);
      if (started.length === 0) throw e;
      // Something changed since the check (another operator's drain): follow what was started, then report the refusal.
      s.note(`${id} was refused; following the drains already started (${started.map((x) => x.peer).join(", ")}).`);
      if (o.wait && started.some((x) => x.status === "draining")) await reportDrains(s, await followWithProgress(s, started.map((x) => x.peer), since));
      else await reportDrains(s, started);
      throw e;
    }
  }
  if (started.length === 0) return s.print({ items: [], pending }, () => "Nothing drains yet: every drain waits for approval.\n");
  if (!o.wait || started.every((x) => x.status !== "draining")) return reportDrains(s, started);
  await reportDrains(s, await followWithProgress(s, started.map((x) => x.peer), since));
}

/**
 * kubectl drain across nodes, budget-aware: one peer at a time, each followed
 * until drained before the next starts. Re-running the same command resumes:
 * drained peers are skipped and a drain under way is followed, not restarted.
 */
async function drainSequentially(s: Session, peers: readonly string[], body: Record<string, unknown>, reason: string): Promise<void> {
  const done: DrainProgress[] = [];
  const again = `drainctl peers drain ${peers.join(" ")} --sequential --reason ${JSON.stringify(reason)}`;
  for (const id of peers) {
    const current = (await s.client.call<DrainStatus>("GET", peerPath(id, "/drain"))).body;
    if (current.status === "drained") {
      s.note(`${id}: already drained (epoch ${current.epoch}); skipped.`);
      done.push(current);
      continue;
    }
    if (current.status === "failed") {
      await reportDrains(s, [...done, current]);
      throw new CliError("Stopped", `${id}: its last drain failed (${current.reason ?? "no reason given"}); the peers after it were not drained.`, EXIT.failure, `Bring it back (drainctl peers resume ${id}) or retry it, then run again: ${again}`);
    }
    const since = (await s.client.call<Page<Peer>>("GET", "/control/peers", { query: { limit: 1 } })).body.revision;
    if (current.status !== "draining") {
      let staged: Approval | undefined;
      try {
        const { status, body: answer } = await s.client.call<DrainStatus>("POST", peerPath(id, ":drain"), { body });
        if (isStaged(status, answer)) staged = answer;
      } catch (e) {
        if (done.length > 0) await reportDrains(s, done);
        if (e instanceof ProblemError && e.code === "pool-depletion") {
          const pool = (e.problem.details?.["pool"] as string | undefined) ?? "its pool";
          throw new CliError("Stopped at the budget", `${id}: ${e.message.split("\n")[0]}`, EXIT.conflict, `Drained so far: ${done.map((d) => d.peer).join(", ") || "none"}. When ${pool} has room again (drainctl peers list --pool ${pool}), run the same command: ${again}`);
        }
        throw e;
      }
      if (staged !== undefined) {
        if (done.length > 0) await reportDrains(s, done);
        noteStaged(s, staged);
        throw new CliError("Waiting for approval", `${id}: the drain waits for approval ${staged.id}; the peers after it were not drained.`, EXIT.conflict, `Once a second principal approved it (drainctl approvals approve ${staged.id} --reason "…"), run the same command: ${again}`);
      }
    } else s.note(`${id}: a drain is under way (epoch ${current.epoch}); following it.`);
    const [progress] = await followWithProgress(s, [id], since);
    if (progress !== undefined) done.push(progress);
    if (progress?.status === "failed") {
      await reportDrains(s, done);
      throw new CliError("Stopped", `${id}: the drain failed (${progress.reason ?? "no reason given"}); the peers after it were not drained.`, EXIT.failure, `Bring it back (drainctl peers resume ${id}) or retry it, then run again: ${again}`);
    }
  }
  await reportDrains(s, done);
}

async function status(s: Session, ids: readonly string[], o: Targeting & { readonly wait?: boolean }): Promise<void> {
  const peers = await targets(s, ids, o);
  if (o.wait === true) {
    const since = (await s.client.call<Page<Peer>>("GET", "/control/peers", { query: { limit: 1 } })).body.revision;
    return reportDrains(s, await followWithProgress(s, peers, since));
  }
  const out: DrainStatus[] = [];
  for (const id of peers) out.push((await s.client.call<DrainStatus>("GET", peerPath(id, "/drain"))).body);
  const rows = s.human ? await withRequestReasons(s.client, out) : out;
  s.print({ items: out }, () => drainTable(rows));
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

/** `--limit`: a whole number from 1 to 1000 (the server's largest page). */
function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw usageError(`--limit ${v}: expected a whole number from 1 to 1000`, "e.g. --limit 100");
  return n;
}

/** The filters of a listing as flags, to repeat them in the next page's command. */
function listFlags(o: { role?: string; state?: string; selector?: string; pool?: string }): string {
  const q = (v: string): string => (/^[\w.:@=,/-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  return [o.role && `--role ${q(o.role)}`, o.state && `--state ${q(o.state)}`, o.selector && `-l ${q(o.selector)}`, o.pool && `--pool ${q(o.pool)}`].filter(Boolean).map((f) => `${f} `).join("");
}

const reasonOpts = (c: Command): Command => c.option("--reason <text>", "why; recorded in the audit log").option("--ticket <id>", "change ticket; recorded in the audit log");
const selectorOpt = (c: Command): Command => c.option("-l, --selector <key=value>", "also act on every peer with this label");

export function peersCommand(): Command {
  const peers = new Command("peers").alias("peer").description("List, inspect, cordon, drain and resume peers");

  peers
    .command("list")
    .alias("ls")
    .description("List peers: a table streams page by page as the server sends them; -o json/yaml/name hold every page; --limit shows one page and how to get the next")
    .option("--role <role>", "only peers serving this role")
    .addOption(new Option("--state <phase>", "only peers in this phase").choices(["active", "cordoned", "draining", "drained", "failed"]))
    .option("-l, --selector <key[=value]>", "only peers with this label")
    .option("--pool <pool>", "only members of this pool")
    .option("--limit <n>", "at most n peers (one server page, up to 1000); the next page's command is printed to stderr", positiveInt)
    .option("--cursor <cursor>", "start after the page this cursor ended (from a --limit listing)")
    .action(async (o: { role?: string; state?: string; selector?: string; pool?: string; limit?: number; cursor?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const query = { role: o.role, state: o.state, label: o.selector, pool: o.pool };
      if (o.limit !== undefined || o.cursor !== undefined) {
        const limit = o.limit ?? PEER_PAGE;
        const page = await peerPage(s.client, query, limit, o.cursor);
        s.print(page, () => (page.items.length === 0 ? "No peers found.\n" : peerTable(page.items)));
        if (page.nextCursor !== undefined && s.human) s.note(`next: more peers follow; drainctl peers list ${listFlags(o)}--limit ${limit} --cursor ${page.nextCursor}`);
        return;
      }
      if (s.human) {
        const printed = await streamPeerTable(s.client, query, { width: s.width, wide: s.format === "wide" }, (text) => process.stdout.write(text));
        if (printed === 0) process.stdout.write("No peers found.\n");
        return;
      }
      const page = await listAllPeers(s.client, query);
      s.print(page, () => peerTable(page.items));
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

  peers
    .command("describe")
    .argument("<peer>", "peer id")
    .description("Everything about one peer: spec, status, roles, cordons by owner, drain, workload moves, recent audit")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const d = await describePeer(s.client, id);
      s.print(d, () => describeText(d, Date.now(), s.width));
    });

  reasonOpts(selectorOpt(peers.command("cordon").argument("[peers...]", "peer ids").description("Stop new placements on peers (traffic continues)")))
    .option("--owner <name>", "cordon owner (default: your token's id)")
    .option("--expires <duration>", "the cordon lapses after this long, e.g. 2h")
    .option("--force", "past the only-schedulable-node rule and pool budgets (mesh.admin; needs --reason; asks twice)")
    .option("-y, --yes", "do not ask for confirmation (only --force asks)")
    .option("--dry-run", "server-side: run every check, change nothing, list what blocks each peer")
    .action(async (ids: string[], o: MutationFlags & { owner?: string; expires?: string; force?: boolean; yes?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const reason = requireReason(o, "cordon");
      const body = {
        ...auditFields(o),
        reason,
        ...(o.owner ? { owner: o.owner } : {}),
        ...(o.expires ? { expiresAt: Date.now() + parseDuration(o.expires) } : {}),
        ...(o.force === true ? { force: true, confirm: true } : {}),
      };
      if (o.force === true && o.dryRun !== true) {
        const peers = await targets(s, ids, o);
        await confirmDestructive({ question: `FORCE-cordon ${peers.join(", ")} (past the last-schedulable-node rule and pool budgets; reason: ${reason})?`, target: peers.join(","), twice: true, yes: o.yes === true });
        const { selector: _resolved, ...flags } = o;
        return simpleVerb(s, peers, "cordon", flags, body);
      }
      await simpleVerb(s, ids, "cordon", o, body);
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
    .option("--dry-run", "server-side: run every check, change nothing, list what blocks each peer (several peers: in order, each after the ones before it)")
    .option("--sequential", "one peer at a time, each followed until drained before the next; re-run to resume (drained peers are skipped)")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-wait", "return as soon as the drain is accepted")
    .action(async (ids: string[], o: DrainFlags, cmd: Command) => drain(new Session(cmd), ids, o));

  reasonOpts(selectorOpt(peers.command("resume").argument("[peers...]", "peer ids").description("Bring peers back to active (ends a drain, lifts every cordon)")))
    .option("--dry-run", "server-side: run every check, change nothing")
    .action(async (ids: string[], o: MutationFlags, cmd: Command) => simpleVerb(new Session(cmd), ids, "resume", o, auditFields(o)));

  selectorOpt(peers.command("status").argument("[peers...]", "peer ids").description("Drain status with remaining in-flight work and workloads"))
    .option("-w, --wait", "follow until every drain is drained or failed, with live progress")
    .action(async (ids: string[], o: Targeting & { wait?: boolean }, cmd: Command) => status(new Session(cmd), ids, o));

  reasonOpts(peers.command("release-router").argument("<peer>", "peer id").argument("<router>", "router id (Peer.routers)").description("Stop the peer's drains waiting for a router that is gone (it never acknowledges)"))
    .action(async (id: string, router: string, o: AuditFields, cmd: Command) => {
      const s = new Session(cmd);
      try {
        const peer = (await s.client.call<Peer>("POST", peerPath(id, `/routers/${encodeURIComponent(router)}:release`), { body: auditFields(o) })).body;
        s.print({ items: [peer] }, () => peerTable([peer]));
      } catch (e) {
        throw aboutPeer(e, id);
      }
    });

  reasonOpts(peers.command("label").argument("<peer>", "peer id").argument("<changes...>", "key=value to set, key- to remove").description("Set or remove labels (merge patch with If-Match)"))
    .action(async (id: string, changes: string[], o: AuditFields, cmd: Command) => label(new Session(cmd), id, changes, o));

  return peers;
}
