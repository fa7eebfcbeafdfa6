import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { pino, type Logger as PinoLogger } from "pino";
import { LifecycleOrchestrator, systemClock, systemRandom, type Clock, type EventSink } from "@drainkit/core";
import { auditSignerFromKey, createRegistry, type DeclaredCluster, type PoolBudget, type Registry, type RegistryStore } from "@drainkit/registry";
import {
  chainAuthenticators,
  controlApi,
  createHttpDrainParticipant,
  createPromMetrics,
  jwtAuthenticatorFromFile,
  openTokenFile,
  problemFrameworkErrors,
  type Authenticator,
  type HttpDrainParticipant,
  type PromMetrics,
} from "@drainkit/http";
import { startControlServer, type ControlServer } from "@drainkit/grpc";
import { CONTROLLER, startLeaderControllers } from "./controllers/leaderControllers.ts";
import { fencedStore } from "./fencedStore.ts";
import { bootstrapPools } from "./poolBootstrap.ts";
import { ELECTION, Leadership } from "./leadership.ts";
import { observeLeader, type LeaderlessEvent } from "./leaderObserver.ts";
import { watchStoreWrites } from "./storeHealth.ts";
import { openStore, parseStoreUrl } from "./storeUrl.ts";
import { registerDashboard } from "./ui.ts";
import { createReplicaGrpcParticipant } from "./selfPeer/grpcParticipant.ts";
import { replicaView } from "./selfPeer/replicas.ts";
import { createLeadershipParticipant } from "./selfPeer/leadershipParticipant.ts";
import { createSelfPeer, SELF_ROLE, selfPoolBudget, successorWindowMs, type SelfPeer, type SelfPeerOptions } from "./selfPeer/selfPeer.ts";
import { AvailabilityHistory, startAvailabilitySampler } from "./availabilityHistory.ts";
import { registerAvailabilityHistory } from "./historyRoute.ts";

/** Everything `drainkit serve` takes; the CLI fills it from flags and environment. */
export interface ControlPlaneOptions {
  /** `sqlite:<path>` or `etcd://host:port[,…][/prefix]`. */
  readonly store: string;
  /** `host:port`; loopback unless told otherwise. Port 0 picks a free port. */
  readonly listen?: string;
  /** `host:port` for the gRPC API (`drainkit.control.v1`); not served when absent. */
  readonly grpc?: string;
  /** Hashed tokens; default `tokens.json` beside the SQLite file, else `./data/tokens.json`. */
  readonly tokenFile?: string;
  /** DRAINKIT_ADMIN_TOKEN: use this admin token instead of generating one. */
  readonly adminToken?: string;
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
  readonly jwt?: { readonly jwksFile: string; readonly issuer: string; readonly audience?: string };
  /** Replica id in the leader election; default `<hostname>-<pid>-<random>`. */
  readonly replicaId?: string;
  /** Grace for in-flight requests on SIGTERM before the server stops anyway. Default 30 s. */
  readonly drainTimeoutMs?: number;
  /** Lease TTL of the leader. Default 3 s. */
  readonly leaderTtlMs?: number;
  /** No replica leading for longer than this is logged as an error and raised as a `no-leader` event. Default 10 s. */
  readonly noLeaderAfterMs?: number;
  /** Where `no-leader` / `leader-restored` events go (beside the log line and `drainkit_leaderless_alarms_total`). */
  readonly leaderEvents?: EventSink<LeaderlessEvent>;
  /**
   * Bound on each store operation of an API request, retries included, so a
   * store without quorum answers 503 before clients time out. Default 1500 ms
   * (etcd; SQLite answers or fails at once).
   */
  readonly storeDeadlineMs?: number;
  /**
   * `--pool` budgets: a bootstrap. At start each pool the store lacks is
   * written (audited); one stored with other budgets stops the start with an
   * error naming both. After that every replica enforces what the store
   * holds (`PUT /control/pools/{name}` changes it).
   */
  readonly pools?: readonly PoolBudget[];
  /** Clusters known from configuration (`--cluster east:active`); stored on the first write. */
  readonly clusters?: readonly DeclaredCluster[];
  /** The leader's drain scheduler: moves in flight per draining peer, and how long a destination gets to serve a moved workload. */
  readonly moves?: { readonly batchSize?: number; readonly moveTimeoutMs?: number; readonly tickMs?: number };
  /**
   * The leader's store compaction: history older than `windowMs` (default
   * 5 min) is dropped every `intervalMs` (default 60 s); a watcher further
   * behind re-lists (`history-compacted`).
   */
  readonly compaction?: { readonly windowMs?: number; readonly intervalMs?: number };
  /** How long an Idempotency-Key's record counts (ms); the leader deletes expired ones every minute. Default 24 h. */
  readonly idempotencyTtlMs?: number;
  /**
   * File holding the audit checkpoint key: an HMAC-SHA256 secret (32+ bytes)
   * or an Ed25519 private key (PEM). Checkpoints (`/control/audit/checkpoint`,
   * and those retention stores) are signed with it. Keep it outside the store.
   */
  readonly auditKeyFile?: string;
  /** How often the leader applies audit retention (tests shorten it). Default 60 s. */
  readonly auditRetentionIntervalMs?: number;
  /** Timing of the leader's rollout runner (tests shorten it). */
  readonly rollouts?: { readonly pollMs?: number; readonly healthIntervalMs?: number; readonly retryDelayMs?: number };
  /**
   * Register this replica as a peer of its own fleet (role `control-plane`)
   * with an embedded agent, so it can be cordoned, drained and rolled like
   * any host, and SIGTERM runs the same drain. `drainkit serve` does unless
   * `--no-self-peer`; embedding code opts in here. Absent: not a peer.
   */
  readonly selfPeer?: SelfPeerOptions;
  readonly logLevel?: string;
  /** Where logs go; default stderr so stdout stays for the banner. */
  readonly logDestination?: NodeJS.WritableStream;
  readonly clock?: Clock;
}

/** A running control plane. */
export interface ControlPlane {
  readonly url: string;
  /** `host:port` of the gRPC API when `grpc` was given. */
  readonly grpcAddress?: string;
  /** Set only on the first start (token file created): print it once. */
  readonly createdAdminToken?: string;
  readonly tokenFile: string;
  readonly replicaId: string;
  readonly registry: Registry;
  readonly store: RegistryStore;
  readonly app: FastifyInstance;
  readonly participant: HttpDrainParticipant;
  readonly metrics: PromMetrics;
  readonly logger: PinoLogger;
  /** True while this replica leads and runs the fleet controllers. */
  readonly leading: () => boolean;
  /** This replica as a peer (with `selfPeer`): its coordinator and embedded agent. */
  readonly selfPeer?: SelfPeer;
  /**
   * Drains this server (503 to new requests, in-flight requests finish, SSE
   * clients told to reconnect elsewhere), then stops every component in
   * reverse dependency order.
   */
  shutdown(reason: string): Promise<void>;
}

/** Splits `host:port` (IPv6 in brackets). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m) throw new Error(`--listen ${listen}: expected host:port, e.g. 127.0.0.1:7400`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen ${listen}: port out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * Starts the control plane: store, registry, HTTP API and, on the replica
 * that wins the election, the fleet controllers, all under a
 * LifecycleOrchestrator so they start and stop in dependency order.
 *
 * @example
 * const cp = await startControlPlane({ store: "sqlite:./data/drainkit.db", listen: "127.0.0.1:7400" });
 * console.log(cp.url, cp.createdAdminToken);
 * process.once("SIGTERM", () => void cp.shutdown("SIGTERM"));
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const clock = options.clock ?? systemClock();
  const random = systemRandom();
  const location = parseStoreUrl(options.store);
  const { host, port } = parseListen(options.listen ?? "127.0.0.1:7400");
  const replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = pino({ level: options.logLevel ?? "info", base: { replica: replicaId } }, options.logDestination ?? process.stderr);
  const tokenFile = resolve(options.tokenFile ?? (location.kind === "sqlite" && location.path !== ":memory:" ? join(dirname(location.path), "tokens.json") : "./data/tokens.json"));

  const tokens = await openTokenFile({ path: tokenFile, ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}) });
  const authenticators: Authenticator[] = [tokens.authenticator];
  if (options.jwt) authenticators.push(await jwtAuthenticatorFromFile(options.jwt.jwksFile, options.jwt.issuer, options.jwt.audience));

  // A replica that is a peer brings its pool's budget unless one was configured.
  const selfPool = options.selfPeer === undefined ? undefined : (options.selfPeer.pool ?? SELF_ROLE);
  const pools = [...(options.pools ?? []), ...(selfPool !== undefined && !(options.pools ?? []).some((p) => p.name === selfPool) ? [selfPoolBudget(selfPool)] : [])];
  const metrics = createPromMetrics();
  // The API's store answers within a deadline; the leader's controllers get
  // their own connection that rides out an etcd election instead of failing
  // a rollout step on it. Both note failing writes for /readyz.
  const apiStore = openStore(location, { deadlineMs: options.storeDeadlineMs ?? 1500 });
  const watched = watchStoreWrites(apiStore, { clock, probeKey: `health/${replicaId}` });
  const store = watched.store;
  const rawLeaderStore = location.kind === "etcd" ? openStore(location) : apiStore;
  const leaderStore = location.kind === "etcd" ? rawLeaderStore : store;
  const auditSigner = options.auditKeyFile === undefined ? undefined : auditSignerFromKey(readFileSync(resolve(options.auditKeyFile)));
  const registryOn = (on: RegistryStore): Registry =>
    createRegistry({
      store: on,
      clock,
      random,
      logger,
      metrics,
      events: { emit: (e) => metrics.auditWriteLatency.observe({ outcome: e.entry.outcome }, e.entry.latencyMs / 1000) },
      ...(pools.length > 0 ? { pools } : {}),
      ...(options.clusters ? { clusters: options.clusters } : {}),
      ...(options.idempotencyTtlMs !== undefined ? { idempotencyTtlMs: options.idempotencyTtlMs } : {}),
      ...(auditSigner === undefined ? {} : { auditSigner }),
    });
  const registry = registryOn(store);

  const tls = options.tls;
  const app = Fastify({
    loggerInstance: logger,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    bodyLimit: 256 * 1024,
    frameworkErrors: problemFrameworkErrors,
    ...(tls
      ? {
          https: {
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            // Agents present client certificates; operators may still come with bearer tokens only.
            ...(tls.clientCa ? { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: false } : {}),
          },
        }
      : {}),
  }) as unknown as FastifyInstance;
  const participant = createHttpDrainParticipant(app, { retryAfterSeconds: 2, deregistrationDelayMs: 0 });

  const leaderlessAlarms = metrics.counter("leaderless_alarms_total", "Times this replica saw no control-plane leader for longer than the threshold");
  leaderlessAlarms.inc({}, 0);
  let observer: ReturnType<typeof observeLeader> | undefined;
  const leadership = new Leadership({
    store: leaderStore,
    clock,
    logger,
    metrics,
    candidate: replicaId,
    onElected: () => observer?.elected(),
    ...(options.leaderTtlMs !== undefined ? { ttlMs: options.leaderTtlMs } : {}),
    work: async (_signal, leaderTerm) =>
      // Every write of this term carries its fence: once the term is over the store refuses them.
      startLeaderControllers({
        registry: registryOn(fencedStore(leaderStore, leaderTerm.fence)),
        store: rawLeaderStore,
        clock,
        logger,
        replicaId,
        ...(options.rollouts === undefined ? {} : { rollouts: options.rollouts }),
        ...(options.selfPeer ? { last: replicaId } : {}),
        ...(options.moves === undefined ? {} : { moves: options.moves }),
        // Only the leader feeds the move series; other replicas export them at 0.
        moveMetrics: {
          inFlight: (n) => metrics.workloadMovesInFlight.set(n),
          serving: (seconds) => metrics.workloadMoveDuration.observe(seconds),
          ended: (outcome) => metrics.workloadMoves.inc({ outcome }),
        },
        ...(options.compaction === undefined ? {} : { compaction: options.compaction }),
        ...(options.auditRetentionIntervalMs === undefined ? {} : { auditRetentionIntervalMs: options.auditRetentionIntervalMs }),
      }),
  });

  let grpcApi: ControlServer | undefined;
  let self: SelfPeer | undefined;
  const replicas = replicaView({ self: replicaId, registry, principal: CONTROLLER, clock, windowMs: successorWindowMs(options.selfPeer ?? {}), leader: () => store.leader(ELECTION) });
  const grpcParticipant =
    options.selfPeer !== undefined && options.grpc !== undefined ? createReplicaGrpcParticipant({ replica: replicaId, clock, logger, directions: () => replicas.directions() }) : undefined;
  if (options.selfPeer !== undefined) {
    const leadershipParticipant = createLeadershipParticipant({
      self: replicaId,
      elector: leadership,
      clock,
      logger,
      leader: async () => {
        const head = await store.leader(ELECTION);
        return head === replicaId && !leadership.leading ? undefined : head;
      },
      replicas: async () => {
        const others = await replicas.others();
        return { liveOthers: others.length, eligibleOthers: others.filter((p) => p.phase === "active" && p.spec.drain === undefined).length };
      },
    });
    self = createSelfPeer({
      ...options.selfPeer,
      id: replicaId,
      app,
      participants: [participant, ...(grpcParticipant ? [grpcParticipant] : [])],
      leadership: leadershipParticipant,
      grpcAddress: () => grpcApi?.address,
      clock,
      random,
      logger,
    });
    authenticators.push(self.authenticator);
  }
  const authenticator = chainAuthenticators(...authenticators);
  await app.register(controlApi, {
    registry,
    authenticator,
    clock,
    metrics,
    participant,
    logger,
    ...(tls?.clientCa ? { clientCertificates: { scopes: ["mesh.agent"] } } : {}),
    readiness: async () => {
      const storeStatus = await watched.status();
      const reachable = storeStatus.status !== "unreachable";
      const head = reachable ? await store.leader(ELECTION).catch(() => undefined) : undefined;
      const leading = leadership.leading;
      // The election's head names this replica between two of its terms too: only a running term counts.
      const leader = leading ? replicaId : head === replicaId ? undefined : head;
      const role = leading ? "leader" : leader !== undefined ? "follower" : "no leader known";
      return {
        checks: { store: reachable, "store-writes": storeStatus.status === "ok", leader: leader !== undefined },
        role,
        ...(leader === undefined ? {} : { leader }),
        store: storeStatus,
      };
    },
  });
  // The operator dashboard (/ui): static files plus the session endpoint, same tokens as the API.
  const storedPools = (): Promise<readonly PoolBudget[]> => registry.poolBudgets();
  await registerDashboard(app, { authenticator, pools: storedPools, clock, logger });
  // Pool availability at every change this replica saw, so the dashboard's chart survives a reload.
  const history = new AvailabilityHistory();
  registerAvailabilityHistory(app, { authenticator, history, pools: storedPools, clock });

  const lifecycle = new LifecycleOrchestrator({ clock, random, logger, metrics });
  lifecycle.register({
    name: "store",
    start: async () => {
      if (!(await store.ping())) throw new Error(`store ${options.store} does not answer`);
    },
    stop: async () => {
      await store.close();
      if (leaderStore !== store) await leaderStore.close();
    },
    retry: { start: { attempts: 20, initialDelayMs: 250, maxDelayMs: 2000, timeoutMs: 5000 } },
  });
  let sampler: { stop(): void } | undefined;
  lifecycle.register({
    name: "availability-history",
    dependsOn: ["store"],
    start: () => {
      sampler = startAvailabilitySampler({ registry, clock, principal: CONTROLLER, logger, pools: storedPools, history });
    },
    stop: () => sampler?.stop(),
  });
  // The API serves only once the --pool flags are in the store (or found to conflict with it: then nothing starts).
  lifecycle.register({
    name: "pools",
    dependsOn: ["store"],
    start: async () => {
      const done = await bootstrapPools(registry, CONTROLLER, options.pools ?? []);
      if (done.written.length > 0) logger.info({ pools: done.written }, "--pool budgets written to the store (bootstrap)");
    },
    // The store answered its ping just before; a conflict is not worth retrying.
    retry: { start: { attempts: 1, timeoutMs: 10_000 } },
  });
  lifecycle.register({
    name: "http",
    dependsOn: ["store", "pools"],
    start: async () => {
      await app.listen({ host, port });
      const address = app.server.address();
      url = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${typeof address === "object" && address ? address.port : port}`;
    },
    stop: () => app.close(),
  });
  const grpcAddress = options.grpc;
  if (grpcAddress !== undefined) {
    lifecycle.register({
      name: "grpc",
      dependsOn: ["store"],
      start: async () => {
        // Same registry and the same token verifier as the HTTP API, so RBAC and audit cannot differ.
        grpcApi = await startControlServer({
          address: grpcAddress,
          registry,
          logger,
          authenticate: async (token) => (token === undefined ? undefined : authenticator.authenticate(token)),
        });
        // Drains with this replica: health NOT_SERVING, new calls refused with where to go, streams told to reconnect.
        grpcParticipant?.attach(grpcApi);
      },
      stop: () => grpcApi?.close(Math.min(options.drainTimeoutMs ?? 30_000, 5_000)) ?? Promise.resolve(),
    });
  }
  let url = "";
  if (self !== undefined) {
    const peer = self;
    // Registered and its spec reconciled before it campaigns: a replica restarted drained never stands.
    lifecycle.register({
      name: "self-peer",
      dependsOn: ["http", ...(grpcAddress !== undefined ? ["grpc"] : [])],
      start: (signal) => peer.start(url, signal),
      stop: () => peer.stop(),
    });
  }
  lifecycle.register({
    name: "leadership",
    dependsOn: ["store", ...(self !== undefined ? ["self-peer"] : [])],
    start: () => {
      observer = observeLeader({
        store,
        clock,
        logger,
        election: ELECTION,
        replica: replicaId,
        leading: () => leadership.leading,
        metrics,
        ...(options.noLeaderAfterMs !== undefined ? { noLeaderAfterMs: options.noLeaderAfterMs } : {}),
        events: {
          emit: (e) => {
            if (e.type === "no-leader") leaderlessAlarms.inc();
            options.leaderEvents?.emit(e);
          },
        },
      });
      leadership.start();
    },
    stop: async () => {
      observer?.stop();
      await leadership.stop();
    },
  });
  await lifecycle.start();

  logger.info({ url, grpc: grpcApi?.address, store: location.kind, tokenFile }, "control plane listening");

  let stopping: Promise<void> | undefined;
  return {
    url,
    ...(grpcApi ? { grpcAddress: grpcApi.address } : {}),
    tokenFile,
    replicaId,
    registry,
    store,
    app,
    participant,
    metrics,
    logger,
    leading: () => leadership.leading,
    ...(self !== undefined ? { selfPeer: self } : {}),
    ...(tokens.createdAdminToken !== undefined ? { createdAdminToken: tokens.createdAdminToken } : {}),
    shutdown(reason) {
      stopping ??= (async () => {
        logger.info({ reason, inFlight: participant.inFlight() }, "draining before shutdown");
        if (self !== undefined) {
          // The same drain an operator's drain runs: readiness first, in-flight work, leadership handed over.
          const result = await self.drainForShutdown(options.drainTimeoutMs ?? 30_000, reason);
          if (result.status === "drained") logger.info({ durationMs: result.durationMs }, "drained: nothing in flight, leadership released");
          else logger.warn({ failure: result.failure, blocking: result.blocking }, "drain did not finish; stopping anyway");
        } else {
          await participant.drain();
          try {
            await participant.whenIdle(AbortSignal.timeout(options.drainTimeoutMs ?? 30_000));
            logger.info({}, "drained: nothing in flight");
          } catch {
            logger.warn({ inFlight: participant.inFlight() }, "drain grace ran out; stopping with requests still in flight");
          }
        }
        await lifecycle.stop();
        logger.info({}, "stopped");
      })();
      return stopping;
    },
  };
}
