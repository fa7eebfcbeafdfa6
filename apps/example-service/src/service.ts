import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import Fastify, { type FastifyInstance } from "fastify";
import { DrainAgent, upgradeRoutes, WorkloadSet, type AgentEvent } from "@drainkit/agent";
import {
  LifecycleOrchestrator,
  NodeDrainCoordinator,
  silentLogger,
  sleep,
  systemClock,
  systemRandom,
  type Clock,
  type Logger,
  type Random,
  type TimerHandle,
} from "@drainkit/core";
import { createGrpcDrainParticipant, createHealthService } from "@drainkit/grpc";
import { createHttpDrainParticipant } from "@drainkit/http";

const PROTO = fileURLToPath(new URL("../proto/example.proto", import.meta.url));
/** Full name of the example gRPC service (what the gRPC drain participant gates). */
export const EXAMPLE_GRPC_SERVICE = "example.v1.Example";

/** Settings of {@link startExampleService}. */
export interface ExampleServiceOptions {
  /** Peer id in the registry (and the agent token's principal id). */
  readonly id: string;
  /** Reported as the `version` label and in every answer. */
  readonly version: string;
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly httpPort?: number;
  readonly grpcPort?: number;
  /** The admin listener: /control/upgrade routes and /healthz. */
  readonly adminPort?: number;
  /** Default latency of the slow endpoints, ms. Default 100. */
  readonly latencyMs?: number;
  /** Where the control plane is; without it the service runs alone (drain it through the admin port). */
  readonly controlPlane?: { readonly url: string; readonly token: string };
  readonly pools?: readonly string[];
  readonly roles?: readonly string[];
  /** Token the admin routes require; open (loopback only!) without one. */
  readonly adminToken?: string;
  readonly heartbeatMs?: number;
  readonly pollMs?: number;
  /** How long in-flight work may take when the process is told to stop. Default 30 000. */
  readonly drainTimeoutMs?: number;
  /** How long gRPC streams may run once a drain starts. Default 5 000. */
  readonly grpcGraceMs?: number;
  /**
   * How long a drain keeps serving new HTTP requests and gRPC calls after
   * readiness (`/readyz`, gRPC health) failed, so routers stop sending here
   * before anything is refused. 0 refuses at once. Default 2 000.
   */
  readonly deregistrationDelayMs?: number;
  /**
   * Whether the whole gRPC server's health (service `""`, what Kubernetes gRPC
   * probes and `grpc_health_probe` ask by default) turns NOT_SERVING while the
   * replica drains, like `example.v1.Example` does. Default true.
   */
  readonly grpcOverallHealth?: boolean;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  readonly agentEvents?: (event: AgentEvent) => void;
  /**
   * Background jobs this replica runs from the start (each ticks every 100 ms).
   * They are the replica's workloads: when it drains, the control plane moves
   * them to other replicas, start there before stop here.
   */
  readonly jobs?: readonly string[];
}

/** One start or stop of a job on this replica (`GET /jobs` on the admin listener). */
export interface JobEvent {
  readonly job: string;
  readonly action: "start" | "stop";
  /** Epoch ms on this replica's clock. */
  readonly at: number;
  /** The move that brought it here or took it away. */
  readonly move?: string;
}

/** A running example service. */
export interface ExampleService {
  readonly id: string;
  readonly version: string;
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly adminUrl: string;
  readonly coordinator: NodeDrainCoordinator;
  readonly agent: DrainAgent | undefined;
  readonly lifecycle: LifecycleOrchestrator;
  /** The replica's background jobs (its workloads). */
  readonly jobs: WorkloadSet;
  /** Every job start and stop on this replica, oldest first. */
  readonly jobHistory: readonly JobEvent[];
  /** Drains (gates closed, in-flight work finished), then stops the agent and the listeners, in that order. */
  stop(signal?: AbortSignal): Promise<void>;
}

const loadProto = (): grpc.GrpcObject => grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true }));

/** The example gRPC client constructor, for tests and demos. */
export function exampleGrpcClient(): grpc.ServiceClientConstructor {
  return ((loadProto()["example"] as grpc.GrpcObject)["v1"] as grpc.GrpcObject)["Example"] as grpc.ServiceClientConstructor;
}

function httpApp(options: { id: string; version: string; latencyMs: number; clock: Clock; ready: () => boolean; draining: () => boolean }): FastifyInstance {
  const app = Fastify({ logger: false });
  const { id, version, clock } = options;
  app.get("/", async () => ({ id, version }));
  app.get<{ Querystring: { ms?: string } }>("/slow", async (request) => {
    const ms = request.query.ms === undefined ? options.latencyMs : Math.max(0, Math.min(600_000, Number(request.query.ms) || 0));
    await sleep(clock, ms);
    return { id, version, sleptMs: ms };
  });
  app.get<{ Querystring: { chunks?: string; intervalMs?: string } }>("/stream", async (request, reply) => {
    const chunks = Math.max(1, Math.min(10_000, Number(request.query.chunks ?? 10) || 10));
    const interval = Math.max(0, Math.min(60_000, Number(request.query.intervalMs ?? 50) || 0));
    async function* ticks(): AsyncGenerator<string> {
      for (let n = 1; n <= chunks; n++) {
        yield `tick ${n} ${id}\n`;
        await sleep(clock, interval);
      }
      // The last line lets a client tell a complete stream from one cut short.
      yield `end ${chunks}\n`;
    }
    return reply.type("text/plain; charset=utf-8").send(Readable.from(ticks()));
  });
  app.get("/healthz", async (_request, reply) => reply.code(options.ready() ? 200 : 503).send({ ready: options.ready() }));
  // Fails as soon as a drain starts, while requests are still served: load balancers that probe take the host out first.
  app.get("/readyz", async (_request, reply) => {
    const ready = options.ready() && !options.draining();
    return reply.code(ready ? 200 : 503).send({ ready, draining: options.draining() });
  });
  return app;
}

function grpcServer(options: { id: string; version: string; latencyMs: number; clock: Clock }): grpc.Server {
  const { id, version, clock } = options;
  const server = new grpc.Server({ interceptors: [] });
  const service = ((loadProto()["example"] as grpc.GrpcObject)["v1"] as grpc.GrpcObject)["Example"] as grpc.ServiceClientConstructor;
  server.addService(service.service, {
    Slow(call: grpc.ServerUnaryCall<{ ms: number }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const ms = call.request.ms > 0 ? call.request.ms : options.latencyMs;
      void sleep(clock, ms).then(() => callback(null, { id, version, sleptMs: ms }));
    },
    Ticks(call: grpc.ServerWritableStream<{ count: number; intervalMs: number }, unknown>) {
      const count = Math.max(1, Math.min(10_000, call.request.count || 10));
      let cancelled = false;
      call.on("cancelled", () => (cancelled = true));
      void (async () => {
        for (let n = 1; n <= count && !cancelled; n++) {
          call.write({ n, id, last: n === count });
          if (n < count) await sleep(clock, call.request.intervalMs);
        }
        if (!cancelled) call.end();
      })();
    },
  });
  return server;
}

/**
 * Starts the example service: a Fastify HTTP server (`/`, `/slow?ms=`,
 * `/stream?chunks=&intervalMs=`, `/healthz`, `/readyz`), a gRPC server (`example.v1.Example`:
 * `Slow`, `Ticks`, plus `grpc.health.v1`), an admin listener with the
 * host's `/control/upgrade` routes, and the drainkit agent, all under one
 * `LifecycleOrchestrator`. Both servers are drain participants of one
 * `NodeDrainCoordinator`, which the agent drives from the control plane.
 *
 * @example
 * const svc = await startExampleService({ id: "svc-1", version: "1.0.0", controlPlane: { url, token } });
 * console.log(svc.httpUrl, svc.grpcAddress, svc.adminUrl);
 * await svc.stop();
 */
export async function startExampleService(options: ExampleServiceOptions): Promise<ExampleService> {
  const clock = options.clock ?? systemClock();
  const random = options.random ?? systemRandom();
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? "127.0.0.1";
  const latencyMs = options.latencyMs ?? 100;
  const roles = options.roles ?? ["edge"];
  const { id, version } = options;

  // The closures below run only once the listeners are up, after `lifecycle` is assigned.
  const deregistrationDelayMs = options.deregistrationDelayMs ?? 2_000;
  const app = httpApp({ id, version, latencyMs, clock, ready: () => lifecycle.ready(), draining: () => http.draining });
  const http = createHttpDrainParticipant(app, { name: "http", retryAfterSeconds: 1, deregistrationDelayMs, clock });
  const server = grpcServer({ id, version, latencyMs, clock });
  const health = createHealthService({ "": "SERVING", [EXAMPLE_GRPC_SERVICE]: "SERVING" });
  health.addTo(server);
  const rpc = createGrpcDrainParticipant(server, { services: [EXAMPLE_GRPC_SERVICE], health, graceMs: options.grpcGraceMs ?? 5_000, deregistrationDelayMs, overallHealth: options.grpcOverallHealth ?? true, clock });
  // Background jobs: a ticker each. They move between replicas through the control plane.
  const tickers = new Map<string, { ticks: number; timer: TimerHandle | undefined }>();
  const jobHistory: JobEvent[] = [];
  const runJob = (job: string): void => {
    const t = { ticks: 0, timer: undefined as TimerHandle | undefined };
    const tick = (): void => {
      t.ticks++;
      t.timer = clock.setTimer(100, tick);
    };
    t.timer = clock.setTimer(100, tick);
    tickers.set(job, t);
  };
  const jobs = new WorkloadSet({
    async start(w, move) {
      if (!tickers.has(w.id)) runJob(w.id);
      jobHistory.push({ job: w.id, action: "start", at: clock.now(), move: move.id });
    },
    async stop(w, move) {
      const t = tickers.get(w.id);
      if (t?.timer !== undefined) clock.clearTimer(t.timer);
      tickers.delete(w.id);
      jobHistory.push({ job: w.id, action: "stop", at: clock.now(), ...(move === undefined ? {} : { move: move.id }) });
    },
  });
  const startJobs = (ids: readonly string[]): void => {
    for (const job of ids) {
      jobs.add({ id: job });
      runJob(job);
      jobHistory.push({ job, action: "start", at: clock.now() });
    }
  };
  // Without a control plane the jobs are this replica's alone; with one, the agent first asks where each lives.
  if (options.controlPlane === undefined) startJobs(options.jobs ?? []);
  const coordinator = new NodeDrainCoordinator({ clock, participants: [http, rpc, jobs], roles, node: id, logger });

  let httpAddress = "";
  let grpcAddress = "";
  let adminUrl = "";
  const agent =
    options.controlPlane === undefined
      ? undefined
      : new DrainAgent({
          controlPlane: options.controlPlane,
          peer: { id, address: () => httpAddress, pools: options.pools ?? ["example"], roles, labels: () => ({ version, grpc: grpcAddress }) },
          coordinator,
          workloads: jobs,
          // Every router of the pool took this replica out: refuse now rather than wait out the delay.
          onRoutersAcknowledged: () => {
            http.deregistered();
            rpc.deregistered();
          },
          clock,
          random: random.fork(),
          logger,
          ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
          ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
          ...(options.agentEvents === undefined ? {} : { events: { emit: options.agentEvents } }),
        });
  const admin = Fastify({ logger: false });
  await admin.register(upgradeRoutes, { coordinator, clock, ...(agent === undefined ? {} : { agent }), ...(options.adminToken === undefined ? {} : { token: options.adminToken }) });
  admin.get("/healthz", async () => ({ lifecycle: lifecycle.snapshot(), agent: agent?.snapshot() }));
  admin.get("/jobs", async () => ({ jobs: [...tickers].map(([job, t]) => ({ id: job, ticks: t.ticks })), history: jobHistory }));

  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const lifecycle = new LifecycleOrchestrator({
    clock,
    random,
    logger,
    components: [
      {
        name: "http",
        start: async () => {
          await app.listen({ host, port: options.httpPort ?? 0 });
          const a = app.server.address() as { port: number };
          httpAddress = `${host}:${a.port}`;
        },
        stop: () => app.close(),
      },
      {
        name: "grpc",
        start: async () => {
          const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync(`${host}:${options.grpcPort ?? 0}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
          );
          grpcAddress = `${host}:${port}`;
        },
        stop: (signal) =>
          new Promise<void>((resolve) => {
            const force = (): void => server.forceShutdown();
            signal.addEventListener("abort", force, { once: true });
            server.tryShutdown(() => {
              signal.removeEventListener("abort", force);
              resolve();
            });
          }),
      },
      {
        name: "admin",
        start: async () => {
          await admin.listen({ host, port: options.adminPort ?? 0 });
          adminUrl = `http://${host}:${(admin.server.address() as { port: number }).port}`;
        },
        stop: async () => {
          await admin.close();
          for (const t of tickers.values()) if (t.timer !== undefined) clock.clearTimer(t.timer);
        },
      },
      {
        // Registers only once both servers listen, so the address it reports answers.
        name: "agent",
        dependsOn: ["http", "grpc", "admin"],
        start: async (signal) => {
          if (agent === undefined) return;
          await agent.start(signal);
          // One home per job: a replica restarted with --jobs after they moved elsewhere does not run them twice.
          const wanted = options.jobs ?? [];
          startJobs(wanted.length === 0 ? [] : (await agent.claimWorkloads(wanted)).mine);
        },
        stop: () => agent?.stop(),
        retry: { start: { attempts: 1, timeoutMs: 60_000 } },
      },
      {
        // Depends on everything serving, so stop() reaches it first: the host
        // drains before the agent stops and before any listener closes. With
        // a control plane the drain goes through it (routers take the host
        // out, jobs move to other replicas); without one, or when it does not
        // answer, the gates close locally.
        name: "drain",
        dependsOn: ["agent"],
        stop: async () => {
          const result =
            agent === undefined
              ? await coordinator.drain({ deadline: clock.now() + drainTimeoutMs, reason: "shutdown" })
              : (await agent.shutdown({ deadlineMs: drainTimeoutMs, reason: "shutdown" })).result;
          if (result.status === "failed") throw new Error(`drain failed: ${result.failure}`);
        },
      },
    ],
  });
  await lifecycle.start();
  return {
    id,
    version,
    httpUrl: `http://${httpAddress}`,
    grpcAddress,
    adminUrl,
    coordinator,
    agent,
    lifecycle,
    jobs,
    jobHistory,
    stop: (signal) => lifecycle.stop(signal ?? AbortSignal.timeout(drainTimeoutMs + 10_000)),
  };
}
