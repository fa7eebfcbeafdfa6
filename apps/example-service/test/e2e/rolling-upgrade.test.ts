import { afterAll, expect, it } from "vitest";
import autocannon, { type Result } from "autocannon";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { systemClock } from "@drainkit/core";
import type { AuditEntry, Page } from "@drainkit/registry";
import { createGrpcBalancer, startRouter, type Router } from "@drainkit/routing";
import * as grpc from "@grpc/grpc-js";
import { exampleGrpcClient } from "../../src/index.ts";
import { request } from "undici";
import { eventually, percentile, startBalancer, startControlPlane, startReplica, type ControlPlane, type Replica } from "./harness.ts";

// `pnpm test` runs the short version; `pnpm e2e` (DRAINKIT_E2E_LONG=1) a long one with figures.
const LONG = process.env["DRAINKIT_E2E_LONG"] === "1";
const IDS = ["svc-1", "svc-2", "svc-3"];
const DEADLINE_MS = 15_000;
const CONNECTIONS = LONG ? 32 : 8;
const SLOW_MS = LONG ? 80 : 40;
const STEADY_MS = LONG ? 5_000 : 500;
/** One rolling upgrade per version; the long run does several in a row. */
const VERSIONS = LONG ? ["2.0.0", "3.0.0", "4.0.0"] : ["2.0.0"];

let cp: ControlPlane | undefined;
let ops: ControlPlaneClient | undefined;
let router: Router | undefined;
const replicas = new Map<string, Replica>();

afterAll(async () => {
  router?.close();
  await Promise.all([...replicas.values()].map((r) => r.stop()));
  await ops?.close();
  await cp?.dispose();
});

/** Streams through the balancer in a loop and checks each one arrives whole ("end N" last). */
function streamChecker(url: string, stop: AbortSignal): { done: Promise<void>; complete: number; incomplete: string[] } {
  const state = { complete: 0, incomplete: [] as string[], done: Promise.resolve() };
  state.done = (async () => {
    while (!stop.aborted) {
      const res = await request(`${url}/stream?chunks=10&intervalMs=30`);
      const text = await res.body.text();
      if (res.statusCode === 200 && text.trimEnd().endsWith("end 10") && text.split("\n").filter((l) => l.startsWith("tick")).length === 10) state.complete++;
      else state.incomplete.push(`${res.statusCode}: ${text.slice(-60)}`);
    }
  })();
  return state;
}

type SlowClient = grpc.Client & { slow(req: object, cb: (e: grpc.ServiceError | null, r: { id: string }) => void): void };

/**
 * Unary gRPC calls in a loop through a client-side gRPC balancer on the same
 * router. A call refused because its replica started draining (UNAVAILABLE
 * with the `drainkit-draining` trailer) is retried on another member; any
 * other error is counted.
 */
function grpcLoad(router: Router, workers: number, stop: AbortSignal) {
  const Ctor = exampleGrpcClient();
  const balancer = createGrpcBalancer<SlowClient>({
    router,
    balancer: router.balancer("edge", { strategy: "round-robin" }),
    connect: (m) => new Ctor(m.labels["grpc"]!, grpc.credentials.createInsecure()) as unknown as SlowClient,
  });
  const state = { ok: 0, refused: [] as { member: string; retriedOn?: string }[], errors: [] as string[], done: Promise.resolve() };
  const once = () =>
    balancer.run((client, member) =>
      new Promise<{ member: string; error?: grpc.ServiceError }>((resolve) => client.slow({ ms: 20 }, (error) => resolve(error === null ? { member: member.id } : { member: member.id, error }))),
    );
  state.done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stop.aborted) {
        let r = await once();
        let refusal: { member: string; retriedOn?: string } | undefined;
        for (let attempt = 0; r.error !== undefined && r.error.code === grpc.status.UNAVAILABLE && r.error.metadata.get("drainkit-draining")[0] === "true" && attempt < 5; attempt++) {
          refusal = { member: r.member };
          state.refused.push(refusal);
          r = await once();
          refusal.retriedOn = r.member;
        }
        if (r.error === undefined) state.ok++;
        else state.errors.push(`${r.member}: ${r.error.code} ${r.error.details}`);
      }
    }),
  ).then(() => balancer.close());
  return state;
}

it(
  `rolls ${IDS.length} replicas to a new version under load: no errors, no request cut off, drains within their deadline, every step audited`,
  async () => {
    cp = await startControlPlane(IDS);
    ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken });
    for (const id of IDS) replicas.set(id, await startReplica({ id, version: "1.0.0", controlPlane: cp, latencyMs: SLOW_MS }));
    await eventually(async () => (await ops!.listPeers({ pool: "example" })).items.filter((p) => p.status !== undefined).length === IDS.length, "every replica registered and reporting");

    // The client-side balancer follows the registry's routable set over the event stream.
    router = await startRouter({ source: ops, clock: systemClock() });
    await eventually(() => router!.members("edge").length === IDS.length, "three routable members");
    // "steady" before the rollout, "draining" while a replica drains, "rollout" for the rest of it.
    let phase = "steady";
    const balancer = await startBalancer(router, "edge", () => phase);

    const stopStreams = new AbortController();
    const streams = streamChecker(balancer.url, stopStreams.signal);
    const rpc = grpcLoad(router, LONG ? 8 : 2, stopStreams.signal);
    let load: Result | undefined;
    let stopLoad = (): void => {};
    let loadError: Error | null = null;
    const loadDone = new Promise<void>((resolve) => {
      const instance = autocannon({ url: `${balancer.url}/slow`, connections: CONNECTIONS, duration: 3_600, timeout: 30 }, (error, result) => {
        loadError = error;
        load = result;
        resolve();
      });
      stopLoad = () => instance.stop();
    });

    await eventually(() => balancer.stats.served >= CONNECTIONS * 4, "load flowing");
    await new Promise((r) => setTimeout(r, STEADY_MS)); // steady state before the rollout, for comparison

    const drains: { id: string; epoch: number; durationMs: number; status: string }[] = [];
    for (const version of VERSIONS) for (const id of IDS) {
      const old = replicas.get(id)!;
      const t0 = Date.now();
      phase = "draining";
      const started = await ops.drain(id, { reason: `upgrade to ${version}`, ticket: "CHG-7", deadlineMs: DEADLINE_MS }, { idempotencyKey: `rollout-chg7-${version}-${id}` });
      expect(started.status).toBe("draining");
      const end = await eventually(async () => {
        const s = await ops!.drainStatus(id);
        return s.status === "drained" || s.status === "failed" ? s : undefined;
      }, `${id} drained`, DEADLINE_MS + 5_000);
      drains.push({ id: `${id}@${version}`, epoch: started.epoch, durationMs: Date.now() - t0, status: end.status });
      phase = "rollout";
      expect(end.status, `${id}: ${end.reason ?? ""}`).toBe("drained");

      // Restart on the new version: the old process drains (already idle) and exits cleanly.
      expect(await old.stop()).toBe(0);
      const next = await startReplica({ id, version, controlPlane: cp, latencyMs: SLOW_MS });
      replicas.set(id, next);
      // The new process finds the drain in its spec and reports itself drained before anyone resumes it.
      await eventually(async () => {
        const p = await ops!.getPeer(id);
        return p.labels["version"] === version && p.address === next.http.replace("http://", "") && p.status?.epoch === started.epoch && p.status.roles["edge"]?.phase === "drained";
      }, `${id} ${version} reporting drained`);
      await ops.resume(id, { reason: `${version} is up`, ticket: "CHG-7" }, { idempotencyKey: `rollout-chg7-${version}-${id}-resume` });
      await eventually(() => router!.members("edge").some((m) => m.id === id && m.address === next.http.replace("http://", "")), `${id} routable again`);
    }

    stopLoad();
    stopStreams.abort();
    await loadDone;
    await streams.done;
    await rpc.done;
    const result = load!;
    const stats = balancer.stats;
    const proxyStats = balancer.proxy.stats();
    await balancer.close();

    // The first requests warm up connections and JIT; leave them out of the steady figure.
    const steady = stats.latencies.filter((l) => l.phase === "steady").slice(CONNECTIONS * 4).map((l) => l.ms);
    const during = stats.latencies.filter((l) => l.phase === "draining").map((l) => l.ms);
    const restarts = stats.latencies.filter((l) => l.phase === "rollout").map((l) => l.ms);
    const figures = {
      served: stats.served,
      autocannon: { requests: result.requests.total, "2xx": result["2xx"], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, resets: result.resets },
      retriedByTheProxy: proxyStats.retries,
      socketErrors: stats.socketErrors.length,
      cutOff: proxyStats.failed,
      streams: { complete: streams.complete, incomplete: streams.incomplete.length },
      grpc: { ok: rpc.ok, refusedAndRetried: rpc.refused.length, errors: rpc.errors.length },
      p99Ms: { steady: Math.round(percentile(steady, 99)), duringDrains: Math.round(percentile(during, 99)), restartsAndResumes: Math.round(percentile(restarts, 99)) },
      p50Ms: { steady: Math.round(percentile(steady, 50)), duringDrains: Math.round(percentile(during, 50)), restartsAndResumes: Math.round(percentile(restarts, 50)) },
      requestsPerPhase: { steady: steady.length, duringDrains: during.length, restartsAndResumes: restarts.length },
      drains: drains.map((d) => `${d.id} epoch ${d.epoch} ${d.status} in ${d.durationMs} ms`),
    };
    if (LONG) console.log(JSON.stringify(figures, null, 2));

    expect(loadError).toBeNull();
    expect(stats.socketErrors).toEqual([]);
    expect(proxyStats.failed).toBe(0); // no 502 and no response cut off
    expect(stats.otherStatus).toEqual([]);
    expect(stats.exhausted).toBe(0);
    expect(streams.incomplete).toEqual([]);
    expect(streams.complete).toBeGreaterThan(0);
    expect(rpc.errors).toEqual([]);
    expect(rpc.ok).toBeGreaterThan(0);
    for (const r of rpc.refused) expect(r.retriedOn).toBeDefined(); // and, with no errors, answered in the end
    // What the load generator saw: every request answered 2xx, none failed at the socket.
    expect({ errors: result.errors, timeouts: result.timeouts, resets: result.resets, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, resets: 0, non2xx: 0 });
    expect(result["2xx"]).toBeGreaterThan(0);
    // A 503 a replica gave while draining was retried by the proxy on another member, never passed on.
    expect(stats.otherStatus.filter((o) => o.status === 503)).toEqual([]);
    for (const d of drains) {
      expect(d.status).toBe("drained");
      expect(d.durationMs).toBeLessThan(DEADLINE_MS);
    }

    // The audit log shows every step, in order, for every replica.
    for (const id of IDS) {
      const audit = await request(`${cp.url}/control/audit?target=peer/${id}&limit=1000`, { headers: { authorization: `Bearer ${cp.adminToken}` } });
      const entries = ((await audit.body.json()) as Page<AuditEntry>).items.filter((e) => e.outcome === "ok");
      const steps = entries.map((e) => e.action).filter((a) => a !== "reportStatus");
      expect(steps, id).toEqual(["registerPeer", ...VERSIONS.flatMap(() => ["drain", "registerPeer", "resume"])]);
      const drains = entries.filter((e) => e.action === "drain");
      expect(drains.map((d) => ({ actor: d.actor, reason: d.reason, ticket: d.ticket }))).toEqual(VERSIONS.map((v) => ({ actor: "admin", reason: `upgrade to ${v}`, ticket: "CHG-7" })));
      // Agent status reports are observed state, kept on the peer, not audit entries.
      expect(entries.some((e) => e.action === "reportStatus")).toBe(false);
    }
    const peers = (await ops.listPeers({ pool: "example" })).items;
    expect(peers.map((p) => [p.id, p.labels["version"], p.phase])).toEqual(IDS.map((id) => [id, VERSIONS.at(-1), "active"]));
    expect(peers.map((p) => p.liveness)).toEqual(IDS.map(() => "live"));
  },
  LONG ? 600_000 : 150_000,
);
