import { Command } from "commander";
import { confirmDestructive } from "../confirm.ts";
import { CliError, EXIT } from "../errors.ts";
import { formatDuration, parseDuration } from "../output.ts";
import { bar, liveLines } from "../terminal/liveLines.ts";
import { outputWidth, truncate } from "../terminal/width.ts";
import { auditFields, requireReason, Session, type AuditFields } from "../session.ts";
import type { Rollout } from "../types.ts";

const SETTLED = new Set(["paused", "aborted", "completed", "incomplete"]);

/** The server's ETA (`progress.etaMs`); "-" until it has one, never a client-side guess. */
const fmtEta = (ms: number | undefined): string => formatDuration(ms);

/** What blocks the rollout now, in one phrase: the first blocked node, or the first node whose step has a reason. */
function blocker(r: Rollout): string | undefined {
  const b = r.plan.blocked[0];
  if (b !== undefined) return `${b.node} blocked: ${b.reason}${b.pool ? ` (pool ${b.pool})` : ""}`;
  const stuck = Object.entries(r.nodes).find(([, n]) => n.reason !== undefined && n.step !== "healthy");
  return stuck === undefined ? undefined : `${stuck[0]} ${stuck[1].step}: ${stuck[1].reason}`;
}

/** State, ETA and what blocks it first; the counts after, so a narrow terminal cuts only those. */
export const summary = (r: Rollout): string => {
  const p = r.progress;
  const why = r.state === "running" || r.state === "paused" ? blocker(r) : undefined;
  return `rollout ${r.id} to ${r.version}: ${r.state}${r.stateReason ? ` (${r.stateReason})` : ""}, ETA ${fmtEta(p.etaMs)}${why ? `, ${why}` : ""}; ${p.done ?? 0}/${p.total ?? 0} done, ${p.failed ?? 0} failed, ${p.inProgress ?? 0} in progress`;
};

/** The plan's waves, what blocks a node now, then every node's step. */
function rolloutView(r: Rollout, planned = false): string {
  const lines = [planned ? `plan: upgrade ${Object.keys(r.nodes).length} node(s) to ${r.version} in ${r.plan.waves.length} wave(s); ${r.plan.blocked.length} blocked now` : summary(r)];
  for (const w of r.warnings ?? []) lines.push(`warning: ${w}`);
  // Older servers send neither field.
  const settings: Partial<Rollout["settings"]> = r.settings;
  if (settings.verify !== undefined) {
    lines.push(settings.verify ? `verify: each node must report ${r.version} and stay healthy ${formatDuration(settings.minHealthyMs ?? 0)} within ${formatDuration(settings.healthTimeoutMs)} of its upgrade` : "verify: off");
  }
  for (const w of r.plan.waves) lines.push(`  wave ${w.index}: ${w.nodes.join(", ")}`);
  for (const b of r.plan.blocked) lines.push(`  blocked ${b.node}: ${b.reason}${b.pool ? ` (pool ${b.pool})` : ""}${b.detail ? `: ${b.detail}` : ""}`);
  const nodes = Object.entries(r.nodes);
  if (nodes.length > 0) {
    const width = Math.max(4, ...nodes.map(([id]) => id.length));
    const version = (n: (typeof nodes)[number][1]): string => n.version ?? "-";
    const vw = Math.max(7, ...nodes.map(([, n]) => version(n).length));
    lines.push(`${"NODE".padEnd(width)}  STEP        WAVE  ${"VERSION".padEnd(vw)}  REASON`);
    for (const [id, n] of nodes) lines.push(`${id.padEnd(width)}  ${n.step.padEnd(10)}  ${String(n.wave ?? "-").padEnd(4)}  ${version(n).padEnd(vw)}  ${n.reason ?? "-"}`);
  }
  return `${lines.join("\n")}\n`;
}

interface StartFlags extends AuditFields {
  readonly to: string;
  readonly pool?: string;
  readonly role?: string;
  readonly selector?: string;
  readonly nodes?: string;
  readonly maxParallel?: string;
  readonly failureThreshold?: string;
  readonly drainTimeout?: string;
  readonly healthTimeout?: string;
  readonly minHealthy?: string;
  /** `--no-verify` sets it false. */
  readonly verify: boolean;
  readonly awaitVersion?: boolean;
  readonly yes?: boolean;
  readonly wait: boolean;
}

function startBody(o: StartFlags, reason: string): Record<string, unknown> {
  return {
    version: o.to,
    reason,
    ...auditFields(o),
    ...(o.pool ? { pool: o.pool } : {}),
    ...(o.role ? { role: o.role } : {}),
    ...(o.selector ? { label: o.selector } : {}),
    ...(o.nodes ? { nodes: o.nodes.split(",").map((n) => n.trim()).filter(Boolean) } : {}),
    ...(o.maxParallel ? { maxParallel: Number(o.maxParallel) } : {}),
    ...(o.failureThreshold ? { failureThreshold: Number(o.failureThreshold) } : {}),
    ...(o.drainTimeout ? { drainTimeoutMs: parseDuration(o.drainTimeout) } : {}),
    ...(o.healthTimeout ? { healthTimeoutMs: parseDuration(o.healthTimeout) } : {}),
    ...(o.minHealthy ? { minHealthyMs: parseDuration(o.minHealthy) } : {}),
    ...(o.verify === false ? { verify: false } : {}),
  };
}

/** `--no-verify` is allowed, never silent: the operator reads this before anything runs. */
function warnUnverified(o: StartFlags): void {
  if (o.verify !== false) return;
  process.stderr.write(
    `warning: --no-verify: nodes count as upgraded once healthy again, whether or not they report ${o.to}; a node that never upgrades will not fail. ` +
      "The rollout and its audit entry record it.\n",
  );
}

/** Follows a rollout until it completes, pauses or ends, refreshing on every change the event feed reports. */
async function follow(s: Session, first: Rollout): Promise<Rollout> {
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  const tty = process.stderr.isTTY === true && s.human;
  const width = (): number | undefined => outputWidth(process.stderr);
  // The ETA is the server's (GET /control/upgrade progress.etaMs), never a client-side guess ("ETA INF" before).
  const screen = liveLines(process.stderr, width);
  let last = first;
  let lastLine = "";
  const show = (r: Rollout): void => {
    const line = summary(r);
    if (tty) {
      const b = bar(r.progress.done ?? 0, Math.max(r.progress.total ?? 0, 1), width());
      screen.set(r.id, `${b === "" ? "" : `${b} `}${line}`);
    } else if (line !== lastLine) {
      lastLine = line;
      const w = width();
      process.stderr.write(`${w === undefined ? line : truncate(line, w)}\n`);
    }
  };
  show(first);
  const refresh = async (): Promise<void> => {
    last = (await s.client.call<Rollout>("GET", "/control/upgrade", { query: { id: first.id }, signal: stop.signal })).body;
    show(last);
    if (SETTLED.has(last.state)) stop.abort();
  };
  const poll = setInterval(() => void refresh().catch(() => {}), 5000);
  try {
    if (!SETTLED.has(first.state)) {
      for await (const _ev of s.client.events({ kinds: ["rollout", "peer"], signal: stop.signal })) {
        await refresh().catch((e: unknown) => {
          if (!stop.signal.aborted) throw e;
        });
        if (stop.signal.aborted) break;
      }
    }
  } finally {
    clearInterval(poll);
    process.removeListener("SIGINT", onSigint);
    if (tty) screen.stop();
  }
  if (!SETTLED.has(last.state)) {
    throw new CliError("Stopped following", `Rollout ${last.id} goes on server-side; nothing was paused or aborted.`, EXIT.interrupted, `Follow it again with: drainctl rollout status ${last.id} --wait   (pause it with: drainctl rollout pause ${last.id})`);
  }
  return last;
}

function report(s: Session, r: Rollout): void {
  s.print(r, () => rolloutView(r));
  if (r.state === "incomplete" || r.state === "aborted" || (r.progress.failed ?? 0) > 0) process.exitCode = EXIT.failure;
}

const selectionOpts = (c: Command): Command =>
  c
    .requiredOption("--to <version>", "target version; peers already reporting it are skipped")
    .option("--pool <pool>", "only peers in this pool")
    .option("--role <role>", "only peers serving this role")
    .option("-l, --selector <key[=value]>", "only peers with this label")
    .option("--nodes <ids>", "exactly these peers, comma-separated, in order of preference")
    .option("--max-parallel <n>", "nodes per wave at most")
    .option("--failure-threshold <n>", "pause once more than this many nodes failed")
    .option("--drain-timeout <duration>", "deadline of each node's drain, e.g. 10m")
    .option("--health-timeout <duration>", "healthy deadline: from its upgrade, the time a node gets to report the version and be healthy, e.g. 5m")
    .option("--min-healthy <duration>", "how long a node must stay healthy on the new version to count, e.g. 10s (server default 10s)")
    .option("--no-verify", "count a node as upgraded without it reporting the target version (warned, and recorded)")
    .option("--await-version", "deprecated: the default (nodes must report the target version); see --no-verify")
    .option("--reason <text>", "why; recorded in the audit log")
    .option("--ticket <id>", "change ticket; recorded in the audit log");

export function rolloutCommand(): Command {
  const rollout = new Command("rollout").description("Plan, start and steer rolling upgrades (waves within every pool's budget)");

  selectionOpts(rollout.command("plan").description("What-if: the waves and what blocks each node now; changes nothing")).action(async (o: StartFlags, cmd: Command) => {
    const s = new Session(cmd);
    warnUnverified(o);
    const { body } = await s.client.call<Rollout>("POST", "/control/upgrade/drain", { body: { ...startBody(o, o.reason ?? "plan"), dryRun: true } });
    s.print(body, () => rolloutView(body, true));
    if (body.plan.blocked.length > 0) process.exitCode = EXIT.conflict;
  });

  selectionOpts(rollout.command("start").description("Start a rolling upgrade (asks once); waits with live progress"))
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-wait", "return as soon as the rollout is accepted")
    .action(async (o: StartFlags, cmd: Command) => {
      const s = new Session(cmd);
      const reason = requireReason(o, "rollout start");
      warnUnverified(o);
      await confirmDestructive({ question: `Start a rolling upgrade to ${o.to} (reason: ${reason})?`, target: o.to, yes: o.yes === true });
      const { body } = await s.client.call<Rollout>("POST", "/control/upgrade/drain", { body: startBody(o, reason) });
      report(s, o.wait ? await follow(s, body) : body);
    });

  rollout
    .command("status")
    .argument("[id]", "rollout id (default: the latest)")
    .option("-w, --wait", "follow until it completes, pauses or ends")
    .description("Plan, per-node step, counts and ETA")
    .action(async (id: string | undefined, o: { wait?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<Rollout>("GET", "/control/upgrade", { query: { id } });
      if (o.wait === true) report(s, await follow(s, body));
      else s.print(body, () => rolloutView(body));
    });

  rollout
    .command("list")
    .alias("ls")
    .description("Every rolling upgrade, oldest first")
    .action(async (_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<{ items: Rollout[] }>("GET", "/control/upgrades");
      s.print(body, () => (body.items.length === 0 ? "No rollouts.\n" : `${body.items.map(summary).join("\n")}\n`));
    });

  for (const verb of ["pause", "resume", "abort"] as const) {
    rollout
      .command(verb)
      .argument("[id]", "rollout id (default: the latest)")
      .description(verb === "pause" ? "Pause: steps under way finish, no new wave starts" : verb === "resume" ? "Resume a paused rollout" : "Abort (asks once): nodes cordoned but not yet draining are resumed")
      .option("--reason <text>", "why; recorded in the audit log")
      .option("--ticket <id>", "change ticket; recorded in the audit log")
      .option("--dry-run", "server-side: run every check, change nothing")
      .option("-y, --yes", "do not ask for confirmation")
      .action(async (id: string | undefined, o: AuditFields & { dryRun?: boolean; yes?: boolean }, cmd: Command) => {
        const s = new Session(cmd);
        if (verb === "abort" && o.dryRun !== true) await confirmDestructive({ question: `Abort rollout ${id ?? "(latest)"}?`, target: id ?? "abort", yes: o.yes === true });
        const path = verb === "resume" ? "/control/upgrade/resume" : `/control/upgrade:${verb}`;
        const { body } = await s.client.call<Rollout>("POST", path, {
          body: { ...(id ? { id } : {}), ...auditFields(o), ...(verb === "abort" ? { confirm: true } : {}), ...(o.dryRun === true ? { dryRun: true } : {}) },
        });
        s.print(body, () => rolloutView(body));
      });
  }
  return rollout;
}
