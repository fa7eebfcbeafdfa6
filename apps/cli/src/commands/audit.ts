import { Command } from "commander";
import { stringify } from "yaml";
import { verifyChain } from "../audit/verifyChain.ts";
import type { ControlClient } from "../client.ts";
import { CliError, EXIT } from "../errors.ts";
import { parseDuration, type TableView } from "../output.ts";
import { Session } from "../session.ts";
import type { AuditEntry, Page, RegistryChange } from "../types.ts";

export function auditTable(entries: readonly AuditEntry[]): TableView {
  return {
    head: ["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "REASON", "TICKET"],
    rows: entries.map((e) => [e.seq, new Date(e.at).toISOString(), e.actor, e.action, e.target, e.outcome === "ok" ? "ok" : `${e.outcome} (${e.errorCode ?? "?"})`, e.reason ?? "-", e.ticket ?? "-"]),
  };
}

interface AuditFilter {
  readonly target?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly since?: string;
}

const query = (o: AuditFilter): Record<string, string | number | undefined> => ({
  target: o.target,
  actor: o.actor,
  action: o.action,
  outcome: o.outcome,
  from: o.since === undefined ? undefined : Date.now() - parseDuration(o.since),
});

/** Every matching entry in seq order, through every page. */
async function allEntries(client: ControlClient, q: Record<string, string | number | undefined>): Promise<Page<AuditEntry>> {
  const items: AuditEntry[] = [];
  let cursor: string | undefined;
  let revision = 0;
  for (;;) {
    const { body } = await client.call<Page<AuditEntry>>("GET", "/control/audit", { query: { ...q, limit: 1000, ...(cursor ? { cursor } : {}) } });
    if (revision === 0) revision = body.revision;
    items.push(...body.items);
    if (body.nextCursor === undefined) return { items, revision };
    cursor = body.nextCursor;
  }
}

const filterOpts = (c: Command): Command =>
  c
    .option("--target <target>", "e.g. peer/n1, cluster/eu, config")
    .option("--actor <id>", "who")
    .option("--action <verb>", "e.g. drain, cordon, patchConfig")
    .option("--outcome <outcome>", "ok, refused or error")
    .option("--since <duration>", "only the last e.g. 1h");

export function auditCommand(): Command {
  const audit = new Command("audit").description("Read, follow and verify the tamper-evident audit log");

  filterOpts(audit.command("list").alias("ls").description("Audit entries, oldest first"))
    .option("--limit <n>", "at most this many (the newest)", (v) => Number(v))
    .action(async (o: AuditFilter & { limit?: number }, cmd: Command) => {
      const s = new Session(cmd);
      const page = await allEntries(s.client, query(o));
      const items = o.limit !== undefined ? page.items.slice(-o.limit) : page.items;
      s.print({ items, revision: page.revision }, () => auditTable(items));
    });

  filterOpts(audit.command("tail").description("The last entries, then every new one as it is written (Ctrl-C to stop)"))
    .option("-n, --lines <n>", "entries to show first", (v) => Number(v), 10)
    .option("--count <n>", "exit after this many new entries", (v) => Number(v))
    .action(async (o: AuditFilter & { lines: number; count?: number }, cmd: Command) => {
      const s = new Session(cmd);
      const page = await allEntries(s.client, query(o));
      const line = (e: AuditEntry): string => (s.format === "table" ? auditTable([e]).rows[0]!.join("  ") : JSON.stringify(e));
      if (s.format === "table" && o.lines > 0) process.stdout.write(auditTable(page.items.slice(-o.lines)).head.join("  ") + "\n");
      for (const e of page.items.slice(-Math.max(o.lines, 0))) process.stdout.write(`${line(e)}\n`);
      if (o.count === 0) return;
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      let seen = 0;
      for await (const ev of s.client.events({ kinds: ["audit"], since: page.revision, signal: stop.signal })) {
        const e = (ev.data as RegistryChange).value as AuditEntry | undefined;
        if (e === undefined) continue;
        if ((o.target && e.target !== o.target) || (o.actor && e.actor !== o.actor) || (o.action && e.action !== o.action) || (o.outcome && e.outcome !== o.outcome)) continue;
        process.stdout.write(`${line(e)}\n`);
        if (o.count !== undefined && ++seen >= o.count) {
          stop.abort();
          break;
        }
      }
    });

  audit
    .command("verify")
    .description("Download the whole chain and check every hash on this machine")
    .action(async (_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const page = await allEntries(s.client, {});
      const verdict = verifyChain(page.items as unknown as Readonly<Record<string, unknown>>[]);
      s.print(verdict, () =>
        verdict.ok
          ? `audit chain intact: ${verdict.entries} entries verified\n`
          : `audit chain BROKEN at seq ${verdict.firstBad.seq} (${verdict.firstBad.id}): ${verdict.firstBad.reason}\n${verdict.entries} entries verified before it\n`,
      );
      if (!verdict.ok) {
        if (s.format !== "table") s.note(`audit chain broken at seq ${verdict.firstBad.seq}: ${verdict.firstBad.reason}`);
        process.exitCode = EXIT.failure;
      }
    });
  return audit;
}

/** `drainctl events`: the change feed, one line per change. */
export function eventsCommand(): Command {
  return new Command("events")
    .description("Follow the change feed (peers, clusters, config, audit, moves) until Ctrl-C")
    .option("--kinds <kinds>", "comma-separated: peer, cluster, config, audit, move (all by default)")
    .option("--since <revision>", "replay changes after this store revision first", (v) => Number(v))
    .option("--count <n>", "exit after this many events", (v) => Number(v))
    .action(async (o: { kinds?: string; since?: number; count?: number }, cmd: Command) => {
      const s = new Session(cmd);
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      let seen = 0;
      for await (const ev of s.client.events({ ...(o.kinds ? { kinds: o.kinds.split(",") } : {}), ...(o.since !== undefined ? { since: o.since } : {}), signal: stop.signal })) {
        const c = ev.data as RegistryChange;
        if (s.format === "table" && seen === 0) process.stdout.write("REVISION  KIND  ID  SUMMARY\n");
        if (s.format === "table") process.stdout.write(`${c.revision}  ${c.kind}  ${c.id}  ${summary(c)}\n`);
        else process.stdout.write(s.format === "json" ? `${JSON.stringify(c)}\n` : `---\n${stringify(c)}`);
        if (o.count !== undefined && ++seen >= o.count) {
          stop.abort();
          break;
        }
      }
      if (!stop.signal.aborted) throw new CliError("Feed ended", "The server closed the event feed.", EXIT.unavailable, "Run the command again with --since <last revision>.");
    });
}

function summary(c: RegistryChange): string {
  const v = c.value as Record<string, unknown> | undefined;
  if (v === undefined) return "deleted";
  if (c.kind === "peer") return `phase=${String(v["phase"])} epoch=${String(v["epoch"])}`;
  if (c.kind === "cluster") return `role=${String(v["role"])} state=${String(v["state"])}`;
  if (c.kind === "audit") return `${String(v["actor"])} ${String(v["action"])} ${String(v["target"])} ${String(v["outcome"])}`;
  if (c.kind === "move") return `${String(v["workload"])} ${String(v["from"])} → ${String(v["to"])} ${String(v["state"])}`;
  return `version=${String(v["version"])}`;
}
