import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { DrainStatus } from "../types.ts";
import { describeCounts, type MoveCounts } from "./moves.ts";

/** Shows drain progress as it arrives. */
export interface DrainDisplay {
  /** `moves` is given when the control plane reports workload moves, absent otherwise (one from before them). */
  update(status: DrainStatus, moves?: MoveCounts): void;
  stop(): void;
}

/** Owners and children the peer held when the drain began (the most seen while following), to show how far the moves got. */
export interface WorkloadsAtStart {
  readonly owners: number;
  readonly children: number;
}

/**
 * "owners 3 → 1, children 5 → 5, moves in flight 2, done 3, failed 1 (last: db-3: volume full)",
 * only the moves while the agent has not reported workloads for this drain, or
 * undefined when there is nothing to move and nothing moved.
 */
export function describeMoves(start: WorkloadsAtStart, s: DrainStatus, c: MoveCounts | undefined): string | undefined {
  if (c === undefined) return undefined;
  const held = start.owners + start.children > 0;
  if (!held && c.inFlight + c.done + c.failed === 0) return undefined;
  return held ? `owners ${start.owners} → ${s.remaining.owners}, children ${start.children} → ${s.remaining.children}, ${describeCounts(c)}` : describeCounts(c);
}

/**
 * The most each count has been while following: the agent may report its
 * workloads for the new epoch only after the first status was read (0 then).
 */
function widen(start: WorkloadsAtStart | undefined, s: DrainStatus): WorkloadsAtStart {
  return { owners: Math.max(start?.owners ?? 0, s.remaining.owners), children: Math.max(start?.children ?? 0, s.remaining.children) };
}

const remainingOf = (s: DrainStatus): number => s.remaining.inFlight + s.remaining.owners + s.remaining.children;

const describe = (s: DrainStatus): string =>
  `in-flight ${s.remaining.inFlight}, workloads ${s.remaining.owners} owners / ${s.remaining.children} children${s.blocking && s.blocking.length > 0 ? `, waiting on ${s.blocking.join(" ")}` : ""}`;

/** Time left at the rate the remaining work has fallen so far; unknown until something has finished. */
function eta(s: DrainStatus, done: number, total: number, elapsedMs: number): string {
  if (s.status !== "draining") return "done";
  if (done <= 0 || elapsedMs <= 0) return "-";
  const left = Math.round(((total - done) * elapsedMs) / done / 1000);
  return left < 60 ? `${left}s` : left < 3600 ? `${Math.floor(left / 60)}m${String(left % 60).padStart(2, "0")}s` : `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * One live bar per node on a terminal: phase, remaining in-flight work and
 * workloads, and an ETA from the rate at which the remaining count falls.
 */
export function terminalDisplay(stream: NodeJS.WritableStream & { isTTY?: boolean }): DrainDisplay {
  const multi = new MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      // The ETA goes before the moves, which may be long: a narrow terminal cuts the end of the line.
      format: "{peer} {bar} {phase} | {detail} | ETA {eta}{moves}",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, { bar: SingleBar; total: number; since: number; start: WorkloadsAtStart }>();
  const width = { peer: 0 };
  return {
    update(s, moves) {
      width.peer = Math.max(width.peer, s.peer.length);
      const remaining = remainingOf(s);
      let entry = bars.get(s.peer);
      if (entry === undefined) {
        entry = { bar: multi.create(Math.max(remaining, 1), 0, { peer: s.peer.padEnd(width.peer), phase: s.status, detail: describe(s), eta: "-", moves: "" }), total: Math.max(remaining, 1), since: Date.now(), start: widen(undefined, s) };
        bars.set(s.peer, entry);
      }
      entry.start = widen(entry.start, s);
      const movesText = describeMoves(entry.start, s, moves);
      const detail = describe(s);
      // New work can arrive while draining (a workload landing late): grow the bar instead of going backwards.
      if (remaining > entry.total) {
        entry.total = remaining;
        entry.bar.setTotal(remaining);
      }
      const done = s.status === "drained" || s.status === "none" ? entry.total : entry.total - remaining;
      entry.bar.update(done, { peer: s.peer.padEnd(width.peer), phase: s.status, detail, eta: eta(s, done, entry.total, Date.now() - entry.since), moves: movesText === undefined ? "" : ` | ${movesText}` });
    },
    stop() {
      multi.stop();
    },
  };
}

/** Without a terminal: one line per change, so logs of CI jobs stay readable. */
export function lineDisplay(stream: NodeJS.WritableStream): DrainDisplay {
  const last = new Map<string, string>();
  const lastMoves = new Map<string, string>();
  const seen = new Map<string, { total: number; since: number; start: WorkloadsAtStart }>();
  return {
    update(s, moves) {
      const remaining = remainingOf(s);
      const first = seen.get(s.peer) ?? { total: 0, since: Date.now(), start: widen(undefined, s) };
      first.total = Math.max(first.total, remaining);
      first.start = widen(first.start, s);
      seen.set(s.peer, first);
      const line = `${s.peer}: ${s.status} (${describe(s)})`;
      if (last.get(s.peer) !== line) {
        last.set(s.peer, line);
        const left = eta(s, first.total - remaining, first.total, Date.now() - first.since);
        stream.write(`${line}${left === "-" || left === "done" ? "" : ` ETA ${left}`}\n`);
      }
      // Moves get their own line: a change of either shows, and the status line keeps its shape for scripts reading it.
      const movesText = describeMoves(first.start, s, moves);
      if (movesText !== undefined && lastMoves.get(s.peer) !== movesText) {
        lastMoves.set(s.peer, movesText);
        stream.write(`${s.peer}: ${movesText}\n`);
      }
    },
    stop() {},
  };
}
