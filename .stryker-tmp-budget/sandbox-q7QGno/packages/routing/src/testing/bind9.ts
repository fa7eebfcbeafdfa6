// @ts-nocheck
// Starts a real BIND 9 on a loopback port for tests: its own temp dir,
// named.conf, zone file and TSIG key. Test support only, so it may touch the
// process environment and real time.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TsigKey } from "../dns/wire.ts";

/** Options of {@link startBind9}. */
export interface Bind9Options {
  /** Default `example.test`. */
  readonly zone?: string;
  /** Records to start with, as zone-file lines relative to the zone, e.g. `"web 30 IN A 10.0.0.1"`. */
  readonly records?: readonly string[];
  /** How long to wait for named to answer. Default 20 000 ms. */
  readonly startTimeoutMs?: number;
}

/** A running BIND 9 and what a test needs to talk to it. */
export interface Bind9 {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly zone: string;
  /** A key the zone's update-policy grants every name in the zone. */
  readonly key: TsigKey;
  /** A resolver that asks this server only. */
  resolver(): Resolver;
  /** The addresses (A and AAAA) of `name`, sorted; [] when it has none. */
  addresses(name: string): Promise<string[]>;
  /** named's output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Where named lives: on the PATH, or Debian's /usr/sbin. */
export function findNamed(): string | undefined {
  const dirs = [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const d of dirs) {
    if (d !== "" && existsSync(join(d, "named"))) return join(d, "named");
  }
  return undefined;
}

async function freePort(): Promise<number> {
  // A port free for TCP and UDP both, since named listens on both.
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === "object" && addr !== null ? addr.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("no free loopback port for named");
}

/**
 * Starts `named -g` (foreground, logging to stderr) with a primary zone that
 * accepts TSIG-signed updates, and resolves once it answers an SOA query.
 * Needs Debian's `bind9` package (`apt-get install -y bind9`).
 *
 * @example
 * const bind = await startBind9({ records: ["web 30 IN A 10.0.0.1"] });
 * try { console.log(await bind.addresses("web.example.test")); } finally { await bind.stop(); }
 */
export async function startBind9(options: Bind9Options = {}): Promise<Bind9> {
  const named = findNamed();
  if (named === undefined) throw new Error("named (BIND 9) is not installed: run `apt-get install -y bind9 bind9-dnsutils`, then rerun the tests.");
  const zone = options.zone ?? "example.test";
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bind9-"));
  const key: TsigKey = { name: "drainkit-test", secret: randomBytes(32).toString("base64"), algorithm: "hmac-sha256" };
  const port = await freePort();
  const zoneFile = join(dir, `${zone}.zone`);
  await writeFile(
    zoneFile,
    [
      `$ORIGIN ${zone}.`,
      "$TTL 30",
      `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 60 60 3600 30`,
      `@ IN NS ns.${zone}.`,
      "ns IN A 127.0.0.1",
      ...(options.records ?? []),
      "",
    ].join("\n"),
  );
  const conf = join(dir, "named.conf");
  await writeFile(
    conf,
    `options {
  directory "${dir}";
  pid-file "${join(dir, "named.pid")}";
  session-keyfile "${join(dir, "session.key")}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
  notify no;
};
controls { };
key "${key.name}" { algorithm hmac-sha256; secret "${key.secret}"; };
zone "${zone}" {
  type primary;
  file "${zoneFile}";
  update-policy { grant ${key.name} zonesub ANY; };
};
`,
  );
  let out = "";
  const child: ChildProcess = spawn(named, ["-g", "-c", conf, "-p", String(port), "-n", "1"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));

  const resolver = (): Resolver => {
    const r = new Resolver({ timeout: 1_000, tries: 2 });
    r.setServers([`127.0.0.1:${port}`]);
    return r;
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await gone;
      clearTimeout(forced);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`named exited while starting:\n${out}`);
    }
    try {
      await resolver().resolveSoa(zone);
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`named did not answer on 127.0.0.1:${port} in time (${String(e)}):\n${out}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    host: "127.0.0.1",
    port,
    zone,
    key,
    resolver,
    async addresses(name: string): Promise<string[]> {
      const r = resolver();
      const get = async (fn: () => Promise<string[]>): Promise<string[]> => {
        try {
          return await fn();
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === "ENODATA" || code === "ENOTFOUND") return [];
          throw e;
        }
      };
      const [v4, v6] = await Promise.all([get(() => r.resolve4(name)), get(() => r.resolve6(name))]);
      return [...v4, ...v6].sort();
    },
    output: () => out,
    stop,
  };
}
