#!/usr/bin/env node
// `pnpm sim -- run <scenario>` / `pnpm sim -- sweep <scenario> --seeds 1..1000`
import { createWriteStream, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { SingleBar } from "cli-progress";
import { isDrainkitError } from "@drainkit/core";
import { locateScenario } from "./scenario/load.ts";
import { runScenario, type SimMode } from "./fullstack/runScenario.ts";
import { humanSummary, jsonReport, replayCommand } from "./report/summary.ts";
import { parseSeeds, sweep } from "./sweep/sweep.ts";

/** A progress bar on stderr, loaded only when one is shown (a terminal, no --json). */
async function progressBar(format: string): Promise<SingleBar> {
  const { SingleBar, Presets } = await import("cli-progress");
  return new SingleBar({ format, stream: process.stderr }, Presets.shades_classic);
}

const int = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number`);
  return n;
};

// pnpm runs the script inside sim/; a relative scenario path means the user's directory.
const cwd = process.env.INIT_CWD ?? process.cwd();

const mode = (v: string): SimMode => {
  if (v !== "core" && v !== "full-stack") throw new InvalidArgumentError("--mode must be core or full-stack");
  return v;
};

const program = new Command("sim").description("Deterministic discrete-event simulator driving the real @drainkit/core.");

program
  .command("run")
  .argument("<scenario>", "a shipped scenario name (rolling-1k, concurrent-drains-1k, failover-1k, chaos-10k) or a YAML/JSON file")
  .option("--nodes <n>", "override the fleet size", int("--nodes"))
  .option("--seed <s>", "seed (default: the scenario's)", int("--seed"))
  .option("--json", "print one JSON report object instead of the summary")
  .option("--trace <file>", "write the event log as JSON lines")
  .option("--html <file>", "write an offline HTML report with charts")
  .option("--mode <mode>", "core or full-stack (default: the scenario's mode:, else core)", mode)
  .action(async (name: string, opts: { nodes?: number; seed?: number; json?: boolean; trace?: string; html?: string; mode?: SimMode }) => {
    const { scenario, replay } = locateScenario(name, cwd);
    // Relative to the user's directory, as the scenario path is (pnpm runs us inside sim/).
    const htmlPath = opts.html === undefined ? undefined : resolve(cwd, opts.html);
    const trace = opts.trace === undefined ? undefined : createWriteStream(resolve(cwd, opts.trace));
    const showBar = opts.json !== true && process.stderr.isTTY === true;
    const bar = showBar ? await progressBar("{bar} {percentage}% | {value}/{total} s simulated | {events} events") : undefined;
    if (bar !== undefined) bar.start(Math.round(scenario.durationMs / 1000), 0, { events: 0 });
    const report = await runScenario(scenario, {
      ...(opts.mode === undefined ? {} : { mode: opts.mode }),
      ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      ...(trace === undefined ? {} : { trace: (r) => void trace.write(`${JSON.stringify(r)}\n`) }),
      ...(opts.html === undefined ? {} : { sampleEveryMs: Math.max(1000, Math.round(scenario.durationMs / 2000)) }),
      ...(bar !== undefined ? { onProgress: (t: number, events: number) => bar.update(Math.round(t / 1000), { events }) } : {}),
    });
    if (bar !== undefined) {
      // A run usually ends before durationMs (every action done): the bar ends full at the time reached, not frozen part-way.
      const reached = Math.max(1, Math.round(report.simulatedMs / 1000));
      bar.setTotal(reached);
      bar.update(reached, { events: report.events });
      bar.stop();
    }
    trace?.end();
    if (htmlPath !== undefined) {
      // Loaded only for --html (it brings the charts).
      const { htmlReport } = await import("./report/html.ts");
      writeFileSync(htmlPath, htmlReport(report, { replay }));
    }
    const where = htmlPath === undefined ? {} : { html: htmlPath };
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify({ ...jsonReport(report), replay: replayCommand(replay, report.seed, report.nodes, opts.mode ?? (report.mode === "full-stack" ? report.mode : undefined)), ...where })}\n`
        : `${humanSummary(report, { replay })}\n${htmlPath === undefined ? "" : `  HTML report: ${htmlPath}\n`}`,
    );
    if (report.invariantViolations.length > 0) process.exitCode = 1;
    else if (report.status === "blocked") process.exitCode = 3;
  });

program
  .command("sweep")
  .argument("<scenario>", "a shipped scenario name or a YAML/JSON file")
  .requiredOption("--seeds <range>", "seeds to run, e.g. 1..1000 or 1,5,9..12")
  .option("--nodes <n>", "override the fleet size", int("--nodes"))
  .option("--workers <n>", "worker threads (default: available cores)", int("--workers"))
  .option("--json", "print the summary as one JSON object")
  .option("--mode <mode>", "core or full-stack (default: the scenario's mode:, else core)", mode)
  .action(async (name: string, opts: { seeds: string; nodes?: number; workers?: number; json?: boolean; mode?: SimMode }) => {
    const { scenario, replay } = locateScenario(name, cwd);
    const seeds = parseSeeds(opts.seeds);
    const showBar = process.stderr.isTTY === true;
    const bar = showBar ? await progressBar("{bar} {value}/{total} seeds | {failed} failed") : undefined;
    let failed = 0;
    if (bar !== undefined) bar.start(seeds.length, 0, { failed });
    const summary = await sweep(scenario, seeds, {
      ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
      ...(opts.workers === undefined ? {} : { workers: opts.workers }),
      ...(opts.mode === undefined ? {} : { mode: opts.mode }),
      onResult: (r, done) => {
        if (r.violations.length > 0) failed++;
        bar?.update(done, { failed });
      },
    });
    bar?.stop();
    if (opts.json === true) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      const lines = [
        `${summary.scenario}: ${summary.seeds} seeds on ${summary.workers} worker(s), ${summary.passed} passed, ${summary.failures.length} with invariant violations`,
        `  drains ${summary.drainsCompleted} completed, ${summary.drainsFailed} failed; lowest pool availability ${(summary.minAvailability * 100).toFixed(1)}%`,
        `  lost requests ${summary.lostRequests}, lost workloads ${summary.lostWorkloads}; ${summary.events} events; ${(summary.wallMs / 1000).toFixed(1)} s wall (${summary.meanRunWallMs} ms per run)`,
        ...(summary.notCompleted.length > 0 ? [`  not completed (blocked or incomplete): ${summary.notCompleted.slice(0, 20).map((r) => `seed ${r.seed} ${r.status}`).join(", ")}`] : []),
        ...(summary.unfinished.length > 0 ? [`  did not finish within durationMs: seeds ${summary.unfinished.slice(0, 20).join(", ")}`] : []),
        ...summary.failures.slice(0, 20).map((f) => `  seed ${f.seed}: ${f.violation.invariant} at event #${f.violation.eventIndex}: ${f.violation.message} (replay: ${replayCommand(replay, f.seed, opts.nodes, opts.mode)})`),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    if (summary.failures.length > 0) process.exitCode = 1;
  });

// `pnpm sim -- run x` hands the "--" through; commander would treat what follows as operands.
const argv = process.argv.slice(2);
if (argv[0] === "--") argv.shift();
program.parseAsync(argv, { from: "user" }).catch((error: unknown) => {
  process.stderr.write(`${isDrainkitError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
