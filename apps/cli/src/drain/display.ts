import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { DrainStatus } from "../types.ts";

/** Shows drain progress as it arrives. */
export interface DrainDisplay {
  update(status: DrainStatus): void;
  stop(): void;
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
      format: "{peer} {bar} {phase} | {detail} | ETA {eta}",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, { bar: SingleBar; total: number; since: number }>();
  const width = { peer: 0 };
  return {
    update(s) {
      width.peer = Math.max(width.peer, s.peer.length);
      const remaining = remainingOf(s);
      let entry = bars.get(s.peer);
      if (entry === undefined) {
        entry = { bar: multi.create(Math.max(remaining, 1), 0, { peer: s.peer.padEnd(width.peer), phase: s.status, detail: describe(s), eta: "-" }), total: Math.max(remaining, 1), since: Date.now() };
        bars.set(s.peer, entry);
      }
      // New work can arrive while draining (a workload landing late): grow the bar instead of going backwards.
      if (remaining > entry.total) {
        entry.total = remaining;
        entry.bar.setTotal(remaining);
      }
      const done = s.status === "drained" || s.status === "none" ? entry.total : entry.total - remaining;
      entry.bar.update(done, { peer: s.peer.padEnd(width.peer), phase: s.status, detail: describe(s), eta: eta(s, done, entry.total, Date.now() - entry.since) });
    },
    stop() {
      multi.stop();
    },
  };
}

/** Without a terminal: one line per change, so logs of CI jobs stay readable. */
export function lineDisplay(stream: NodeJS.WritableStream): DrainDisplay {
  const last = new Map<string, string>();
  const seen = new Map<string, { total: number; since: number }>();
  return {
    update(s) {
      const remaining = remainingOf(s);
      const first = seen.get(s.peer) ?? { total: 0, since: Date.now() };
      first.total = Math.max(first.total, remaining);
      seen.set(s.peer, first);
      const line = `${s.peer}: ${s.status} (${describe(s)})`;
      if (last.get(s.peer) === line) return;
      last.set(s.peer, line);
      const left = eta(s, first.total - remaining, first.total, Date.now() - first.since);
      stream.write(`${line}${left === "-" || left === "done" ? "" : ` ETA ${left}`}\n`);
    },
    stop() {},
  };
}
