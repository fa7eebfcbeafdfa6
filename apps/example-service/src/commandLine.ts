import { parseArgs } from "node:util";

/** What `example-service --help` prints. */
export const USAGE = `Usage: example-service --id <peer-id> [options]

One replica of the drainkit example service (HTTP + gRPC) with its agent.
Prints {"event":"listening",...} on stdout once every component runs;
SIGTERM / SIGINT drain it, then stop it.

Options:
  --id <id>                 peer id (also EXAMPLE_ID); the agent token's principal id
  --version <v>             version it reports (default 1.0.0)
  --host <addr>             address to listen on (default 127.0.0.1)
  --http-port <n>           HTTP port (default 0: any free port)
  --grpc-port <n>           gRPC port (default 0)
  --admin-port <n>          admin endpoints port (default 0)
  --latency-ms <n>          time each request takes (default 100)
  --control-plane <url>     control plane to register with (also DRAINKIT_URL;
                            needs DRAINKIT_TOKEN, a mesh.agent token for this id)
  --pools <a,b>             pools it joins (default example)
  --roles <a,b>             roles it serves (default edge)
  --heartbeat-ms <n>        status report interval
  --drain-timeout-ms <n>    shutdown drain deadline (default 30000); SIGTERM drains
                            through the control plane when there is one
  --deregistration-delay-ms <n>
                            once draining, keep serving this long so routers
                            take the host out first (default 2000; 0 allowed);
                            ends early once every registered router acknowledged
  --jobs <a,b>              workloads it holds, moved away when it drains; on start,
                            a job another live replica holds is not started here
  --keep-overall-health     while draining, keep gRPC health "" (the whole
                            server) SERVING; by default it turns NOT_SERVING
                            with example.v1.Example, so default probes fail
  -h, --help                show this help

Environment: EXAMPLE_ID, DRAINKIT_URL, DRAINKIT_TOKEN, EXAMPLE_ADMIN_TOKEN.
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  id: { type: "string" },
  version: { type: "string", default: "1.0.0" },
  host: { type: "string", default: "127.0.0.1" },
  "http-port": { type: "string", default: "0" },
  "grpc-port": { type: "string", default: "0" },
  "admin-port": { type: "string", default: "0" },
  "latency-ms": { type: "string", default: "100" },
  "control-plane": { type: "string" },
  pools: { type: "string", default: "example" },
  roles: { type: "string", default: "edge" },
  "heartbeat-ms": { type: "string" },
  "drain-timeout-ms": { type: "string", default: "30000" },
  "deregistration-delay-ms": { type: "string", default: "2000" },
  jobs: { type: "string", default: "" },
  "keep-overall-health": { type: "boolean", default: false },
} as const;

export type CommandLine = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

/**
 * The parsed flags, or what to print and the exit code: the help (0), or a
 * usage error (2) that names the bad flag, never a stack trace.
 *
 * @example
 * const r = readCommandLine(process.argv.slice(2));
 * if ("exit" in r) { process.stderr.write(r.text); process.exit(r.exit); }
 */
export function readCommandLine(args: readonly string[]): { readonly values: CommandLine } | { readonly exit: 0 | 2; readonly text: string } {
  let values: CommandLine;
  try {
    values = parseArgs({ args: [...args], options: OPTIONS }).values;
  } catch (e) {
    return { exit: 2, text: `example-service: ${e instanceof Error ? e.message : String(e)}\n(run with --help for usage)\n` };
  }
  if (values.help === true) return { exit: 0, text: USAGE };
  return { values };
}
