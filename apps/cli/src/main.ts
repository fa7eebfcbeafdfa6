#!/usr/bin/env node
// `drainctl`: parse, run, and turn every failure into a readable message and an exit code by class.
import { CommanderError, type Command } from "commander";
import { CliError, EXIT } from "./errors.ts";
import { refinedNext } from "./nextHints.ts";
import { outputWidth, wrap } from "./terminal/width.ts";
import { createProgram } from "./program.ts";

/** Runs drainctl with `argv` (as process.argv); resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  const exitOverride = (c: Command): void => {
    c.exitOverride();
    for (const sub of c.commands) exitOverride(sub);
  };
  exitOverride(program);
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version "fail" with code 0; everything else commander rejects is a usage error.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      const next = refinedNext(e) ?? e.next;
      const width = outputWidth(process.stderr);
      process.stderr.write(`${wrap(`error: ${e.title}: ${e.message}`, width)}\n${next ? `${wrap(`next: ${next}`, width)}\n` : ""}`);
      if (debug) process.stderr.write(`${e.stack ?? ""}\n${"problem" in e ? JSON.stringify((e as { problem: unknown }).problem, null, 2) : ""}\n`);
      return e.exitCode;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n${debug ? `${e instanceof Error ? e.stack : ""}\n` : "(run with --debug for a stack trace)\n"}`);
    return EXIT.failure;
  }
}

const code = await run(process.argv);
// Open sockets (an undici pool, a cancelled event stream) must not keep a finished command alive.
process.stdout.write("", () => process.exit(code));
