// @ts-nocheck
import { createConnection } from "node:net";
import { DrainkitError } from "@drainkit/core";

/** HAProxy answered a Runtime API command with an error, or its socket could not be reached. */
export class HaproxyCommandError extends DrainkitError {
  readonly command: string;
  readonly answer: string;
  constructor(command: string, answer: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(
      "haproxy-command-failed",
      `HAProxy refused "${command}": ${answer.trim() || "(no answer)"}. Check that the stats socket has "level admin" and that the backend exists.`,
      { retryable: options.retryable ?? false, details: { command, answer }, ...(options.cause === undefined ? {} : { cause: options.cause }) },
    );
    this.command = command;
    this.answer = answer;
  }
}

/** One server of a backend as `show servers state` lists it. */
export interface HaproxyServer {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `srv_admin_state` bits: 1 forced maintenance, 8 forced drain, … */
  readonly adminState: number;
  /** `srv_op_state`: 0 down (health checks failing), 2 running, … */
  readonly opState: number;
  readonly weight: number;
}

/** The Runtime API over HAProxy's admin socket: one command per connection (non-interactive mode). */
export interface HaproxyRuntimeApi {
  /** Sends one command and returns HAProxy's answer as is. */
  raw(command: string): Promise<string>;
  /** Sends one command; throws {@link HaproxyCommandError} unless HAProxy says it applied it. */
  run(command: string): Promise<string>;
  servers(backend: string): Promise<HaproxyServer[]>;
}

// Answers of commands that applied; anything else (including "No such server.") is an error.
const APPLIED = /^$|New server registered|Server deleted|changed from|no need to change/;

/**
 * A Runtime API client on the unix socket (`stats socket <path> level admin`)
 * or a TCP `host:port` socket.
 *
 * @example
 * const api = haproxyRuntimeApi("/run/haproxy/admin.sock");
 * await api.run("set server web/web-1 state drain");
 */
export function haproxyRuntimeApi(socket: string, options: { readonly timeoutMs?: number } = {}): HaproxyRuntimeApi {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const tcp = /^(.+):(\d+)$/.exec(socket);
  const raw = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const conn = tcp !== null && !socket.startsWith("/") ? createConnection({ host: tcp[1]!, port: Number(tcp[2]) }) : createConnection({ path: socket });
      let out = "";
      conn.setEncoding("utf8");
      conn.setTimeout(timeoutMs, () => conn.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      conn.on("data", (d: string) => (out += d));
      conn.on("end", () => resolve(out));
      conn.on("error", (e) => reject(new HaproxyCommandError(command, `admin socket ${socket}: ${e.message}`, { cause: e, retryable: true })));
      conn.end(`${command}\n`);
    });
  return {
    raw,
    async run(command) {
      const answer = await raw(command);
      if (!APPLIED.test(answer.trim())) throw new HaproxyCommandError(command, answer);
      return answer;
    },
    async servers(backend) {
      const answer = await raw(`show servers state ${backend}`);
      const lines = answer.split("\n");
      const header = lines.find((l) => l.startsWith("# "));
      if (header === undefined) throw new HaproxyCommandError(`show servers state ${backend}`, answer);
      const cols = header.slice(2).trim().split(/\s+/);
      const at = (name: string): number => cols.indexOf(name);
      const out: HaproxyServer[] = [];
      for (const line of lines) {
        if (line.startsWith("#") || line.trim() === "" || /^\d+$/.test(line.trim())) continue;
        const f = line.trim().split(/\s+/);
        out.push({ name: f[at("srv_name")]!, address: f[at("srv_addr")]!, port: Number(f[at("srv_port")]), adminState: Number(f[at("srv_admin_state")]), opState: Number(f[at("srv_op_state")]), weight: Number(f[at("srv_uweight")]) });
      }
      return out;
    },
  };
}
