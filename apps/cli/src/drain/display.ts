import { formatDuration } from "../output.ts";
import { bar, liveLines } from "../terminal/liveLines.ts";
import { outputWidth, truncate } from "../terminal/width.ts";
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

/** What holds the drain up, first thing after its state: a stall's reason, then the roles, participants and workloads still busy. */
const holdUp = (s: DrainStatus): string => {
  const parts: string[] = [];
  if (s.status === "draining" && s.reason !== undefined) parts.push(`stalled: ${s.reason}`);
  if (s.status === "failed" && s.reason !== undefined) parts.push(s.reason);
  if (s.blocking && s.blocking.length > 0) parts.push(`waiting on ${s.blocking.join(" ")}`);
  return parts.join(", ");
};

const counts = (s: DrainStatus): string => `in-flight ${s.remaining.inFlight}, workloads ${s.remaining.owners} owners / ${s.remaining.children} children`;

/**
 * One node's progress, most important first so a narrow terminal cuts only
 * the detail: "web-1: draining, ETA 1m20s, waiting on role:edge (in-flight 3, workloads 1 owners / 2 children)".
 */
export function progressLine(s: DrainStatus, etaText: string | undefined): string {
  const head = [`${s.peer}: ${s.status}`, etaText === undefined || etaText === "done" ? undefined : `ETA ${etaText === "-" ? "?" : etaText}`, holdUp(s) || undefined].filter((x) => x !== undefined);
  return `${head.join(", ")} (${counts(s)})`;
}

/** Time left at the rate the remaining work has fallen so far; unknown until something has finished. */
function eta(s: DrainStatus, done: number, total: number, elapsedMs: number): string {
  if (s.status !== "draining") return "done";
  if (done <= 0 || elapsedMs <= 0) return "-";
  return formatDuration(((total - done) * elapsedMs) / done);
}

/**
 * One live line per node on a terminal: state, ETA and what blocks it first,
 * then the counts and the moves; a bar in front only when the terminal is
 * wide enough. No line is longer than the terminal.
 */
export function terminalDisplay(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, width: () => number | undefined = () => outputWidth(stream)): DrainDisplay {
  const screen = liveLines(stream, width);
  const bars = new Map<string, { total: number; since: number; start: WorkloadsAtStart }>();
  let peerWidth = 0;
  return {
    update(s, moves) {
      peerWidth = Math.max(peerWidth, s.peer.length);
      const remaining = remainingOf(s);
      let entry = bars.get(s.peer);
      if (entry === undefined) {
        entry = { total: Math.max(remaining, 1), since: Date.now(), start: widen(undefined, s) };
        bars.set(s.peer, entry);
      }
      entry.start = widen(entry.start, s);
      // New work can arrive while draining (a workload landing late): grow the total instead of going backwards.
      if (remaining > entry.total) entry.total = remaining;
      const done = s.status === "drained" || s.status === "none" ? entry.total : entry.total - remaining;
      const movesText = describeMoves(entry.start, s, moves);
      const b = bar(done, entry.total, width());
      const line = progressLine({ ...s, peer: s.peer.padEnd(peerWidth) }, eta(s, done, entry.total, Date.now() - entry.since));
      screen.set(s.peer, `${b === "" ? "" : `${b} `}${line}${movesText === undefined ? "" : ` | ${movesText}`}`);
    },
    stop() {
      screen.stop();
    },
  };
}

/** Without a terminal: one line per change, so logs of CI jobs stay readable. */
export function lineDisplay(stream: NodeJS.WritableStream, width?: number): DrainDisplay {
  const fit = (line: string): string => (width === undefined ? line : truncate(line, width));
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
      // A change of the ETA alone is no news worth a line in a log.
      const key = progressLine(s, undefined);
      if (last.get(s.peer) !== key) {
        last.set(s.peer, key);
        const left = eta(s, first.total - remaining, first.total, Date.now() - first.since);
        // A log line says the ETA only once there is one: "ETA ?" on every line of a CI log is noise.
        stream.write(`${fit(progressLine(s, left === "-" ? undefined : left))}\n`);
      }
      // Moves get their own line: a change of either shows, and the status line keeps its shape for scripts reading it.
      const movesText = describeMoves(first.start, s, moves);
      if (movesText !== undefined && lastMoves.get(s.peer) !== movesText) {
        lastMoves.set(s.peer, movesText);
        stream.write(`${fit(`${s.peer}: ${movesText}`)}\n`);
      }
    },
    stop() {},
  };
}
