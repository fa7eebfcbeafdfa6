import { readAll } from "@drainkit/client";
import { Command } from "commander";
import { stringify } from "yaml";
import { readFileSync } from "node:fs";
import { parseCheckpoint, type Checkpoint } from "../audit/checkpoint.ts";
import { verifyEvidence, type HeadView } from "../audit/evidence.ts";
import type { ControlClient } from "../client.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { ago, parseDuration, renderTable, type TableView } from "../output.ts";
import { truncate } from "../terminal/width.ts";
import { Session } from "../session.ts";
import type { AuditEntry, Page, RegistryChange } from "../types.ts";

/** Audit entries: how long ago in the table, the full ISO time with -o wide. */
export function auditTable(entries: readonly AuditEntry[], now = Date.now()): TableView {
  return {
    head: ["SEQ", "AGE", "ACTOR", "ACTION", "TARGET", "OUTCOME", "REASON", "TICKET", "TIME"],
    wideOnly: ["TICKET", "TIME"],
    rows: entries.map((e) => [e.seq, ago(e.at, now), e.actor, e.action, e.target, e.outcome === "ok" ? "ok" : `${e.outcome} (${e.errorCode ?? "?"})`, e.reason ?? "-", e.ticket ?? "-", new Date(e.at).toISOString()]),
  };
}

interface AuditFilter {
  readonly target?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly since?: string;
  readonly until?: string;
}

/** `--since` / `--until`: a duration back from now (`1h`) or a time (`2026-12-07T16:00:00Z`). */
export function parseTimeBound(flag: string, v: string, now = Date.now()): number {
  if (/^\d+(ms|s|m|h)?$/.test(v.trim())) return now - parseDuration(v);
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\d/.test(v.trim())) throw usageError(`${flag} "${v}" is neither a duration nor a time`, `Use e.g. ${flag} 2h or ${flag} 2026-12-07T16:00:00Z.`);
  return t;
}

const OUTCOMES = ["ok", "refused", "error"];

const query = (o: AuditFilter): Record<string, string | number | undefined> => {
  if (o.outcome !== undefined && !OUTCOMES.includes(o.outcome)) throw usageError(`--outcome "${o.outcome}" is not an outcome`, `Use one of ${OUTCOMES.join(", ")}.`);
  const from = o.since === undefined ? undefined : parseTimeBound("--since", o.since);
  const to = o.until === undefined ? undefined : parseTimeBound("--until", o.until);
  if (from !== undefined && to !== undefined && from > to) {
    throw usageError(`--since (${new Date(from).toISOString()}) is after --until (${new Date(to).toISOString()})`, "Swap them, or widen the range.");
  }
  return { target: o.target, actor: o.actor, action: o.action, outcome: o.outcome, from, to };
};

/** Every matching entry in seq order, through every page. */
function allEntries(client: ControlClient, q: Record<string, string | number | undefined>): Promise<Page<AuditEntry>> {
  return readAll(async (cursor) => (await client.call<Page<AuditEntry>>("GET", "/control/audit", { query: { ...q, limit: 1000, ...(cursor ? { cursor } : {}) } })).body);
}

const filterOpts = (c: Command): Command =>
  c
    .option("--target <target>", "e.g. peer/n1, cluster/eu, config")
    .option("--actor <id>", "who")
    .option("--action <verb>", "e.g. drain, cordon, patchConfig")
    .option("--outcome <outcome>", "ok, refused or error")
    .option("--since <when>", "from a time ago (e.g. 1h) or a time (ISO 8601)")
    .option("--until <when>", "before a time ago (e.g. 10m) or a time (ISO 8601)");

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
      const q = query(o);
      const page = await allEntries(s.client, q);
      const width = s.width;
      // New entries come one at a time, so they cannot share a table's column widths: one line each, cut to the terminal.
      const line = (e: AuditEntry): string => {
        if (!s.human) return JSON.stringify(e);
        const row = auditTable([e]).rows[0]!.slice(0, s.format === "wide" ? undefined : 7).join("  ");
        return width === undefined ? row : truncate(row, width);
      };
      const first = page.items.slice(-Math.max(o.lines, 0));
      if (s.human && first.length > 0) process.stdout.write(renderTable(auditTable(first), { width, wide: s.format === "wide" }));
      else for (const e of first) process.stdout.write(`${line(e)}\n`);
      if (o.count === 0) return;
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      let seen = 0;
      for await (const ev of s.client.events({ kinds: ["audit"], since: page.revision, signal: stop.signal })) {
        const e = (ev.data as RegistryChange).value as AuditEntry | undefined;
        if (e === undefined) continue;
        if ((o.target && e.target !== o.target) || (o.actor && e.actor !== o.actor) || (o.action && e.action !== o.action) || (o.outcome && e.outcome !== o.outcome)) continue;
        if (q.to !== undefined && e.at >= (q.to as number)) continue;
        process.stdout.write(`${line(e)}\n`);
        if (o.count !== undefined && ++seen >= o.count) {
          stop.abort();
          break;
        }
      }
    });

  audit
    .command("head")
    .description("The chain's head: the last entry's seq, hash and time (and the checkpoint of what retention pruned)")
    .option("--json", "print the head as JSON (same as -o json)")
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<HeadView>("GET", "/control/audit/head");
      if (o.json === true) {
        process.stdout.write(`${JSON.stringify(body)}\n`);
        return;
      }
      s.print(body, () => {
        const pruned = body.checkpoint === undefined ? "" : `pruned: up to seq ${body.checkpoint.seq} (checkpoint ${body.checkpoint.alg ?? "unsigned"})\n`;
        return `seq:  ${body.seq}\nhash: ${body.hash}\nat:   ${body.at === 0 ? "-" : new Date(body.at).toISOString()}\n${pruned}`;
      });
    });

  audit
    .command("checkpoint")
    .description("Export the head as a checkpoint (signed when the server has a key) to keep outside the store: drainctl audit checkpoint > cp.json")
    .action(async (_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<Checkpoint>("GET", "/control/audit/checkpoint");
      // Always JSON: the output is a file to keep and feed back to `verify --checkpoint`.
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      if (body.signature === undefined) s.note("note: the server has no checkpoint key, so this checkpoint is unsigned; keep it somewhere the store's writers cannot reach.");
    });

  audit
    .command("verify")
    .description("Download the whole chain and check every hash on this machine, against the head and, when given, a checkpoint from earlier")
    .option("--checkpoint <file>", "a checkpoint from `drainctl audit checkpoint`: proves nothing up to it was rewritten or cut")
    .option("--key <file>", "checks signatures: the HMAC secret, or the Ed25519 public key (PEM) of the server's checkpoint key")
    .action(async (o: { checkpoint?: string; key?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const read = (flag: string, path: string): string => {
        try {
          return readFileSync(path, "utf8");
        } catch (e) {
          throw usageError(`${flag} ${path}: ${e instanceof Error ? e.message : String(e)}`, "Name a readable file.");
        }
      };
      let checkpoint: Checkpoint | undefined;
      if (o.checkpoint !== undefined) {
        try {
          checkpoint = parseCheckpoint(read("--checkpoint", o.checkpoint));
        } catch (e) {
          if (e instanceof CliError) throw e;
          throw usageError(`--checkpoint ${o.checkpoint} is not a checkpoint: ${e instanceof Error ? e.message : String(e)}`, "Pass a file written by `drainctl audit checkpoint`.");
        }
      }
      const key = o.key === undefined ? undefined : read("--key", o.key);
      // Head first: entries appended after it are left for the next verification.
      const { body: head } = await s.client.call<HeadView>("GET", "/control/audit/head");
      const page = await allEntries(s.client, {});
      const items = (page.items as unknown as Readonly<Record<string, unknown>>[]).filter((e) => typeof e["seq"] !== "number" || e["seq"] <= head.seq);
      const verdict = verifyEvidence(items, head, { ...(checkpoint === undefined ? {} : { checkpoint }), ...(key === undefined ? {} : { key }) });
      const notes = verdict.notes.map((n) => `note: ${n}\n`).join("");
      s.print(verdict, () =>
        verdict.ok
          ? `audit chain intact: ${verdict.entries} entries verified${verdict.from === undefined ? "" : ` after seq ${verdict.from}`}, ending at the head (seq ${verdict.head.seq})\n` +
            (verdict.checkpoint === undefined ? "" : `checkpoint at seq ${verdict.checkpoint.seq} (${verdict.checkpoint.signature === "valid" ? "signature valid" : "unsigned"}): matches the chain\n`) +
            notes
          : `audit chain BROKEN at seq ${verdict.firstBad.seq}${verdict.firstBad.id === "" ? "" : ` (${verdict.firstBad.id})`}: ${verdict.firstBad.reason}\n${verdict.entries} entries verified before it\n${notes}`,
      );
      if (!verdict.ok) {
        if (!s.human) s.note(`audit chain broken at seq ${verdict.firstBad.seq}: ${verdict.firstBad.reason}`);
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
        if (s.human && seen === 0) process.stdout.write("REVISION  KIND  ID  SUMMARY\n");
        if (s.human) {
          const row = `${c.revision}  ${c.kind}  ${c.id}  ${summary(c)}`;
          process.stdout.write(`${s.width === undefined ? row : truncate(row, s.width)}\n`);
        }
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
