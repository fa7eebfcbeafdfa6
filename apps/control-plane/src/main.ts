#!/usr/bin/env node
// `drainkit`: the control-plane binary. `drainkit serve` starts the server;
// `drainkit token add` mints another bearer token into the token file;
// `drainkit route` runs the front door of @drainkit/routing (see its --help).
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { addToken, isScope } from "@drainkit/http";
import type { Scope } from "@drainkit/registry";
import { runRoute } from "@drainkit/routing";
import { startControlPlane } from "./controlPlane.ts";
import { PoolFlagConflictError } from "./poolBootstrap.ts";
import { parseClusterFlag, parsePoolFlag } from "./poolFlag.ts";

/** This build's version: what a replica reports unless `--version-label` says otherwise. */
const packageVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const program = new Command("drainkit").description("drainkit control plane").showHelpAfterError();

const duration = (v: string): number => {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(v);
  if (!m) throw new InvalidArgumentError("expected a duration such as 500ms, 30s, 2m or 24h");
  return Number(m[1]) * (m[2] === "h" ? 3_600_000 : m[2] === "m" ? 60_000 : m[2] === "s" || m[2] === undefined ? 1000 : 1);
};

const wholeNumber = (v: string): number => {
  if (!/^[1-9]\d{0,5}$/.test(v)) throw new InvalidArgumentError("expected a whole number from 1 to 999999");
  return Number(v);
};

program
  .command("serve")
  .description("Serve the control API (REST + SSE) and, when elected leader, run the fleet controllers")
  .addOption(new Option("--store <url>", "sqlite:<path> or etcd://host:port[,host:port…][/prefix]").default("sqlite:./data/drainkit.db").env("DRAINKIT_STORE"))
  .addOption(new Option("--listen <host:port>", "address to listen on (loopback unless told otherwise)").default("127.0.0.1:7400").env("DRAINKIT_LISTEN"))
  .addOption(new Option("--grpc <host:port>", "also serve the gRPC API (drainkit.control.v1) here, e.g. 127.0.0.1:7401").env("DRAINKIT_GRPC"))
  .option("--token-file <path>", "hashed bearer tokens (default: tokens.json beside the SQLite file, else ./data/tokens.json)")
  .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM)")
  .option("--tls-key <file>", "private key of --tls-cert (PEM)")
  .option("--client-ca <file>", "mutual TLS for agents: trust client certificates signed by this CA (CN = peer id, scope mesh.agent)")
  .option("--jwks <file>", "also accept JWTs signed by a key in this JWKS file (scopes from the `scope` claim)")
  .option("--jwt-issuer <iss>", "required `iss` of accepted JWTs")
  .option("--jwt-audience <aud>", "required `aud` of accepted JWTs")
  .option("--replica-id <id>", "this replica's id in the leader election and, as a peer, its peer id (keep it stable across restarts)")
  .option("--no-self-peer", "do not register this replica as a peer of its own fleet (role control-plane); for embedded, single-process use")
  .option("--self-pool <name>", "pool this replica registers in as a peer", "control-plane")
  .addOption(new Option("--version-label <version>", "version this replica reports as a peer (rollouts compare it)").default(packageVersion).env("DRAINKIT_VERSION_LABEL"))
  .option(
    "--pool <budget>",
    "pool budget the capacity guard and rolling upgrades keep, repeatable: <name>[/<role>]:maxUnavailable=1,minAvailable=50%",
    (v: string, all: string[] | undefined) => [...(all ?? []), v],
  )
  .option(
    "--cluster <id:role>",
    "declare a cluster, repeatable: <id>:active or <id>:backup (stored on the first start; promote/demote change it)",
    (v: string, all: string[] | undefined) => [...(all ?? []), v],
  )
  .addOption(new Option("--drain-timeout <duration>", "on SIGTERM, the deadline of this replica's drain (in-flight requests, leadership hand-over)").default(30_000, "30s").argParser(duration))
  .addOption(new Option("--leader-ttl <duration>", "leader lease TTL").default(3000, "3s").argParser(duration))
  .addOption(new Option("--leaderless-after <duration>", "log an error (and count an alarm) when no replica has led for this long").default(10_000, "10s").argParser(duration))
  .addOption(new Option("--store-deadline <duration>", "bound on each store operation of an API request, retries included (a 503 before clients time out)").default(1500, "1.5s").argParser(duration))
  .addOption(new Option("--idempotency-ttl <duration>", "how long an Idempotency-Key is remembered (a retry after that is a new request)").default(86_400_000, "24h").argParser(duration))
  .addOption(new Option("--move-batch <n>", "workload moves in flight off one draining peer at once").default(10).argParser(wholeNumber))
  .addOption(new Option("--move-timeout <duration>", "how long a destination gets to serve a moved workload before the move fails and is planned elsewhere").default(60_000, "60s").argParser(duration))
  .addOption(new Option("--audit-key <file>", "sign audit checkpoints with this key, kept outside the store: an HMAC-SHA256 secret (32+ bytes) or an Ed25519 private key (PEM)").env("DRAINKIT_AUDIT_KEY_FILE"))
  .addOption(new Option("--audit-retention-interval <duration>", "how often the leader applies audit.retentionDays / audit.maxEntries").default(60_000, "60s").argParser(duration))
  .addOption(new Option("--log-level <level>", "pino log level").default("info").env("DRAINKIT_LOG_LEVEL"))
  .action(async (o: Record<string, string | number | boolean | string[] | undefined>) => {
    if ((o["tlsCert"] === undefined) !== (o["tlsKey"] === undefined)) program.error("--tls-cert and --tls-key go together");
    if (o["clientCa"] !== undefined && o["tlsCert"] === undefined) program.error("--client-ca needs --tls-cert and --tls-key");
    if ((o["jwks"] === undefined) !== (o["jwtIssuer"] === undefined)) program.error("--jwks and --jwt-issuer go together");
    const pools = (flags: readonly string[]): ReturnType<typeof parsePoolFlag>[] => {
      try {
        return flags.map(parsePoolFlag);
      } catch (e) {
        return program.error(e instanceof Error ? e.message : String(e));
      }
    };
    const clusters = (flags: readonly string[]): ReturnType<typeof parseClusterFlag>[] => {
      try {
        return flags.map(parseClusterFlag);
      } catch (e) {
        return program.error(e instanceof Error ? e.message : String(e));
      }
    };
    const str = (k: string): string | undefined => (o[k] === undefined ? undefined : String(o[k]));
    const cp = await startControlPlane({
      store: String(o["store"]),
      listen: String(o["listen"]),
      drainTimeoutMs: Number(o["drainTimeout"]),
      leaderTtlMs: Number(o["leaderTtl"]),
      noLeaderAfterMs: Number(o["leaderlessAfter"]),
      storeDeadlineMs: Number(o["storeDeadline"]),
      moves: { batchSize: Number(o["moveBatch"]), moveTimeoutMs: Number(o["moveTimeout"]) },
      idempotencyTtlMs: Number(o["idempotencyTtl"]),
      auditRetentionIntervalMs: Number(o["auditRetentionInterval"]),
      logLevel: String(o["logLevel"]),
      ...(str("grpc") ? { grpc: str("grpc")! } : {}),
      ...(str("tokenFile") ? { tokenFile: str("tokenFile")! } : {}),
      ...(process.env["DRAINKIT_ADMIN_TOKEN"] ? { adminToken: process.env["DRAINKIT_ADMIN_TOKEN"] } : {}),
      ...(str("tlsCert") ? { tls: { cert: str("tlsCert")!, key: str("tlsKey")!, ...(str("clientCa") ? { clientCa: str("clientCa")! } : {}) } } : {}),
      ...(str("jwks") ? { jwt: { jwksFile: str("jwks")!, issuer: str("jwtIssuer")!, ...(str("jwtAudience") ? { audience: str("jwtAudience")! } : {}) } } : {}),
      ...(str("replicaId") ? { replicaId: str("replicaId")! } : {}),
      ...(str("auditKey") ? { auditKeyFile: str("auditKey")! } : {}),
      ...(Array.isArray(o["pool"]) ? { pools: pools(o["pool"]) } : {}),
      ...(Array.isArray(o["cluster"]) ? { clusters: clusters(o["cluster"]) } : {}),
      ...(o["selfPeer"] === false ? {} : { selfPeer: { version: String(o["versionLabel"]), pool: String(o["selfPool"]) } }),
    });
    const lines = [`drainkit control plane listening on ${cp.url}`, `  store: ${String(o["store"])}   replica: ${cp.replicaId}`];
    if (cp.selfPeer) lines.push(`  peer: ${cp.replicaId} (role control-plane, pool ${String(o["selfPool"])}, version ${String(o["versionLabel"])}); --no-self-peer to opt out`);
    lines.push(`  dashboard: ${cp.url}/ui (sign in with a token)`);
    if (cp.grpcAddress) lines.push(`  gRPC (drainkit.control.v1): ${cp.grpcAddress}`);
    if (cp.createdAdminToken) {
      lines.push(`  admin token (shown once; only its hash is kept in ${cp.tokenFile}):`, `    ${cp.createdAdminToken}`);
      lines.push(`  try: curl -H "Authorization: Bearer ${cp.createdAdminToken}" ${cp.url}/control/peers`);
    } else if (process.env["DRAINKIT_ADMIN_TOKEN"]) {
      lines.push("  admin token: the value of DRAINKIT_ADMIN_TOKEN");
    } else {
      lines.push(`  admin token: printed on the first start; tokens are in ${cp.tokenFile} (mint one: drainkit token add <id> --scope mesh.admin)`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    let signals = 0;
    const stop = (signal: string): void => {
      if (++signals > 1) process.exit(1); // a second signal means "now"
      cp.shutdown(signal).then(() => process.exit(0), (e: unknown) => {
        cp.logger.error({ err: e instanceof Error ? e.message : String(e) }, "shutdown failed");
        process.exit(1);
      });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });

const token = program.command("token").description("Manage bearer tokens in the token file");
token
  .command("add <id>")
  .description("Mint a token for <id> and print it once")
  .requiredOption("--scope <scope...>", "mesh.read | mesh.agent | mesh.operate | mesh.admin")
  .option("--token-file <path>", "token file", "./data/tokens.json")
  .action(async (id: string, o: { scope: string[]; tokenFile: string }) => {
    const bad = o.scope.filter((s) => !isScope(s));
    if (bad.length > 0) program.error(`unknown scope ${bad.join(", ")}; use mesh.read, mesh.agent, mesh.operate or mesh.admin`);
    const t = await addToken(o.tokenFile, id, o.scope as Scope[]);
    process.stdout.write(`${t}\n`);
  });

program
  .command("route")
  .description("Serve HTTP for one role's routable members, fed by a control plane (drainkit route --help)")
  .helpOption(false)
  .allowUnknownOption()
  .allowExcessArguments()
  .argument("[options...]")
  .action(async (args: string[]) => {
    process.exit(await runRoute(args));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  // A --pool flag at odds with the store is the operator's to fix, not a start to retry: say only that.
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof PoolFlagConflictError) e = cause;
  process.stderr.write(`drainkit: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
