import { Command, Option } from "commander";
import { stringify } from "yaml";
import { CliError, EXIT } from "../errors.ts";
import { age, type TableView } from "../output.ts";
import { truncate } from "../terminal/width.ts";
import { Session } from "../session.ts";
import type { MoveChange, MoveState, WorkloadMove } from "../types.ts";

const MOVE_STATES: readonly MoveState[] = ["starting", "serving", "done", "failed", "cancelled"];

/** The filters of `GET /control/moves`; every one given must match. */
export interface MoveFilter {
  /** Moves from or to this peer. */
  readonly peer?: string;
  readonly state?: MoveState;
  /** Only `starting` and `serving` moves. */
  readonly active?: boolean;
}

/**
 * Workload moves as a table: id, workload, tier, from → to, state, age, reason.
 *
 * @example
 * renderTable(moveTable(items)); // "ID  WORKLOAD  TIER  FROM → TO  STATE  AGE  REASON\n…"
 */
export function moveTable(moves: readonly WorkloadMove[], now = Date.now()): TableView {
  return {
    head: ["ID", "WORKLOAD", "TIER", "FROM → TO", "STATE", "AGE", "REASON"],
    rows: moves.map((m) => [m.id, m.workload, m.tier === "child" && m.owner !== undefined ? `child of ${m.owner}` : m.tier, `${m.from} → ${m.to}`, m.state, age(m.createdAt, now), m.reason ?? "-"]),
  };
}

/** One line per move change, for `moves watch`: "db-3 web-1 → web-2 failed (volume full)  [move m-7]". */
export function moveLine(change: MoveChange): string {
  const m = change.value;
  if (m === undefined) return `${change.id}: pruned`;
  return `${m.workload} ${m.from} → ${m.to} ${m.state}${m.reason === undefined ? "" : ` (${m.reason})`}  [move ${m.id}${m.tier === "child" && m.owner !== undefined ? `, child of ${m.owner}` : ""}]`;
}

const filterQuery = (o: MoveFilter): Record<string, string | undefined> => ({
  peer: o.peer,
  state: o.state,
  active: o.active === true ? "true" : undefined,
});

/** `drainctl moves`: the workload moves the control plane plans off draining peers. */
export function movesCommand(): Command {
  const moves = new Command("moves").alias("move").description("List and follow the workload moves the control plane plans off draining peers");

  moves
    .command("list")
    .alias("ls")
    .description("Workload moves, oldest first")
    .option("--peer <id>", "only moves from or to this peer")
    .addOption(new Option("--state <state>", "only moves in this state").choices([...MOVE_STATES]))
    .option("--active", "only moves still in flight (starting or serving)")
    .option("--json", "same as -o json")
    .action(async (o: MoveFilter & { json?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<{ items: readonly WorkloadMove[] }>("GET", "/control/moves", { query: filterQuery(o) });
      const value = { items: body.items };
      if (o.json === true) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else s.print(value, () => (body.items.length === 0 ? "No moves found.\n" : moveTable(body.items)));
    });

  moves
    .command("watch")
    .description("Follow move changes live, one line each, until Ctrl-C")
    .option("--peer <id>", "only moves from or to this peer")
    .option("--since <revision>", "replay changes after this store revision first", (v) => Number(v))
    .option("--count <n>", "exit after this many changes", (v) => Number(v))
    .action(async (o: { peer?: string; since?: number; count?: number }, cmd: Command) => {
      const s = new Session(cmd);
      const stop = new AbortController();
      const onSigint = (): void => stop.abort();
      process.once("SIGINT", onSigint);
      let seen = 0;
      try {
        const feed = s.client.events({ kinds: ["move"], ...(o.peer === undefined ? {} : { peer: o.peer }), ...(o.since === undefined ? {} : { since: o.since }), signal: stop.signal });
        for await (const ev of feed) {
          const change = ev.data as MoveChange;
          if (change.kind !== "move") continue;
          if (s.human) {
            const row = `${new Date(change.value?.updatedAt ?? Date.now()).toISOString()}  ${moveLine(change)}`;
            process.stdout.write(`${s.width === undefined ? row : truncate(row, s.width)}\n`);
          }
          else process.stdout.write(s.format === "json" ? `${JSON.stringify(change)}\n` : `---\n${stringify(change)}`);
          if (o.count !== undefined && ++seen >= o.count) {
            stop.abort();
            break;
          }
        }
      } finally {
        process.removeListener("SIGINT", onSigint);
      }
      if (!stop.signal.aborted) throw new CliError("Feed ended", "The server closed the event feed.", EXIT.unavailable, "Run the command again with --since <last revision>.");
    });

  return moves;
}
