// @ts-nocheck
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { dirname } from "node:path";

/** Where the pinned Node 24 binary is: this very process (the `.bin/node` shim execs it). */
export const NODE = process.execPath;

/**
 * The environment for a child that must behave as on a user's machine: pnpm's
 * `npm_*` variables dropped (npm would read them as its own config), and the
 * pinned Node first on PATH so `#!/usr/bin/env node` bins run on it.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "NODE_OPTIONS" && !k.startsWith("VITEST")) env[k] = v;
  env["PATH"] = `${dirname(NODE)}:${process.env["PATH"] ?? ""}`;
  return { ...env, ...extra };
}

/**
 * The machine's own tools, as a user's shell finds them: no workspace
 * node_modules/.bin (whose `node` is the pinned 24) on PATH.
 */
export function machineEnv(): NodeJS.ProcessEnv {
  const env = userEnv();
  env["PATH"] = (process.env["PATH"] ?? "").split(":").filter((d) => d !== "" && !d.includes("node_modules") && d !== dirname(NODE)).join(":");
  return env;
}

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; throws with its output when it fails, unless `allowFailure`. */
export function run(cmd: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; timeoutMs?: number }): Ran {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? userEnv(),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 300_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0 && !options.allowFailure) {
    throw new Error(`${cmd} ${args.join(" ")} (in ${options.cwd}) exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
