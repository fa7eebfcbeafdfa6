import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { usageError } from "./errors.ts";

/** One named place to talk to: a control-plane URL, optionally its gRPC address, and the token to use there. */
export interface Context {
  readonly server: string;
  /** `host:port` of the gRPC API; when set, every verb it covers goes over gRPC. */
  readonly grpc?: string;
  readonly token?: string;
}

/** The kubeconfig-like file `drainctl context …` edits. */
export interface ContextFile {
  readonly "current-context"?: string;
  readonly contexts: Readonly<Record<string, Context>>;
}

/** `$DRAINCTL_CONFIG`, else `$XDG_CONFIG_HOME/drainctl/config.yaml`, else `~/.config/drainctl/config.yaml`. */
export function contextFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env["DRAINCTL_CONFIG"]) return env["DRAINCTL_CONFIG"];
  const base = env["XDG_CONFIG_HOME"] || join(homedir(), ".config");
  return join(base, "drainctl", "config.yaml");
}

export function readContextFile(path: string): ContextFile {
  if (!existsSync(path)) return { contexts: {} };
  let data: unknown;
  try {
    data = parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw usageError(`${path} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`, "Fix the file or remove it and recreate contexts with `drainctl context set`.");
  }
  const file = (data ?? {}) as { "current-context"?: unknown; contexts?: unknown };
  const contexts: Record<string, Context> = {};
  for (const [name, raw] of Object.entries((file.contexts ?? {}) as Record<string, unknown>)) {
    const c = raw as { server?: unknown; grpc?: unknown; token?: unknown };
    if (typeof c?.server !== "string") throw usageError(`${path}: context "${name}" has no server`, `Run: drainctl context set ${name} --server <url>`);
    contexts[name] = { server: c.server, ...(typeof c.grpc === "string" ? { grpc: c.grpc } : {}), ...(typeof c.token === "string" ? { token: c.token } : {}) };
  }
  return { ...(typeof file["current-context"] === "string" ? { "current-context": file["current-context"] } : {}), contexts };
}

export function writeContextFile(path: string, file: ContextFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // The file holds bearer tokens: readable by its owner only.
  writeFileSync(path, stringify(file), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Where the server and token come from, strongest first: flags, environment, the named or current context. */
export interface ConnectionFlags {
  readonly server?: string;
  readonly grpc?: string;
  readonly token?: string;
  readonly context?: string;
}

export interface Connection {
  readonly server: string;
  readonly token: string | undefined;
  /** The context used, if any. */
  readonly context: string | undefined;
  /** `host:port` of the gRPC API when it was chosen (`--grpc`, `DRAINKIT_GRPC`, the context). */
  readonly grpc?: string;
  /** False when `server` is only the built-in default, i.e. nobody named a REST URL. */
  readonly serverGiven?: boolean;
}

/** `host:port` (or a grpc-js target such as `dns:host:port`, `unix:/path`), never an http(s) URL. */
function checkGrpcAddress(address: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address) || address.trim() === "" || /\s/.test(address)) {
    throw usageError(`--grpc ${address} is not a host:port`, "Pass the address `drainkit serve --grpc` listens on, e.g. --grpc 127.0.0.1:7401");
  }
  return address;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const path = contextFilePath(env);
  const file = readContextFile(path);
  const name = flags.context ?? env["DRAINCTL_CONTEXT"] ?? file["current-context"];
  const ctx = name === undefined ? undefined : file.contexts[name];
  if (name !== undefined && ctx === undefined && (flags.context !== undefined || env["DRAINCTL_CONTEXT"] !== undefined)) {
    throw usageError(`no context named "${name}" in ${path}`, "List them with `drainctl context list`.");
  }
  const strongServer = flags.server ?? env["DRAINCTL_SERVER"];
  const server = strongServer ?? ctx?.server ?? "http://127.0.0.1:7400";
  const token = flags.token ?? env["DRAINCTL_TOKEN"] ?? ctx?.token;
  // Flags and environment beat the context as a whole: --server given for a context that stores gRPC means REST.
  const grpc = flags.grpc ?? env["DRAINKIT_GRPC"] ?? (strongServer === undefined ? ctx?.grpc : undefined);
  try {
    new URL(server);
  } catch {
    throw usageError(`--server ${server} is not a URL`, "Pass e.g. --server http://127.0.0.1:7400");
  }
  return {
    server: server.replace(/\/+$/, ""),
    token,
    context: ctx === undefined ? undefined : name,
    ...(grpc !== undefined && grpc !== "" ? { grpc: checkGrpcAddress(grpc), serverGiven: strongServer !== undefined || ctx?.server !== undefined } : {}),
  };
}
