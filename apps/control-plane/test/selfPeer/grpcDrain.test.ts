import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock, type Clock } from "@drainkit/core";
import { ControlPlaneError } from "@drainkit/client";
import { GrpcControlClient } from "@drainkit/client/grpc";
import { CONTROL_SERVICE_NAME, ControlError, createControlClient, DRAINING_METADATA, healthServiceDefinition } from "@drainkit/grpc";
import { startControlPlane, type ControlPlane } from "../../src/index.ts";

// Issue #24: a draining replica's gRPC API refuses new calls the way its
// HTTP side answers 503: UNAVAILABLE, naming the replica and where to go;
// grpc.health.v1 says NOT_SERVING; open WatchEvents streams end with the
// same hint (as SSE subscribers get `reconnect`); a resume serves again.
// Two real replicas share one SQLite store on 127.0.0.1.

const ADMIN = "grpc-drain-admin-token-0123456789";
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
const replicas: ControlPlane[] = [];
const closers: (() => void)[] = [];
let dir = "";

afterEach(async () => {
  for (const c of closers.splice(0)) c();
  for (const cp of replicas.splice(0).reverse()) await cp.shutdown("test over");
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function admin(cp: ControlPlane, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function replica(id: string): Promise<ControlPlane> {
  const cp = await startControlPlane({ store: `sqlite:${join(dir, "drainkit.db")}`, listen: "127.0.0.1:0", grpc: "127.0.0.1:0", adminToken: ADMIN, tokenFile: join(dir, "tokens.json"), replicaId: id, selfPeer: { version: "1.0.0", heartbeatMs: 500 }, logDestination: quiet });
  replicas.push(cp);
  return cp;
}

type HealthClient = grpc.Client & { Check(req: { service: string }, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void): void };

/** What a grpc.health.v1 probe of `address` reads for `service`. */
function healthOf(address: string): (service: string) => Promise<string> {
  const Ctor = grpc.makeGenericClientConstructor(healthServiceDefinition(), "Health");
  const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
  closers.push(() => client.close());
  return (service) => new Promise((resolve) => client.Check({ service }, (e, r) => resolve(e ? `error ${e.code}` : String(r?.status))));
}

describe("a draining replica's gRPC API", () => {
  it("refuses new calls with UNAVAILABLE naming the replica and the leader, reports NOT_SERVING, ends streams with the same hint, and serves again on resume", { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "drainkit-grpc-drain-"));
    const cp1 = await replica("cp-1");
    await until("cp-1 leading", () => cp1.leading());
    const cp2 = await replica("cp-2");
    await until("both replicas live and active", async () => {
      const { body } = await admin(cp1, "GET", "/control/peers?role=control-plane");
      const items = body["items"] as { id: string; liveness?: string; phase: string }[];
      return items.length === 2 && items.every((p) => p.liveness === "live" && p.phase === "active");
    });
    const address = cp2.grpcAddress!;
    const health = healthOf(address);
    expect([await health(""), await health(CONTROL_SERVICE_NAME)]).toEqual(["SERVING", "SERVING"]);

    // An operator's client on cp-2, and a WatchEvents stream open there before the drain.
    const raw = createControlClient(address, { token: ADMIN });
    closers.push(() => raw.close());
    expect((await raw.getPeer("cp-1")).peer.id).toBe("cp-1");
    let streamEnd: Error | undefined;
    let streamEnded = false;
    const watch = raw.watchEvents({ kinds: ["peer"] }, () => {}, (error) => {
      streamEnded = true;
      streamEnd = error;
    });
    closers.push(() => watch.close());

    // Drain cp-2 through the API (on cp-1): its embedded agent runs the drain.
    const drain = await admin(cp1, "POST", "/control/peers/cp-2:drain", { reason: "upgrade cp-2" });
    expect(drain.status, JSON.stringify(drain.body)).toBe(202);
    await until("cp-2 drained", async () => (await admin(cp1, "GET", "/control/peers/cp-2")).body["phase"] === "drained");

    expect([await health(""), await health(CONTROL_SERVICE_NAME)]).toEqual(["NOT_SERVING", "NOT_SERVING"]);
    const leader = `the leader cp-1 (gRPC ${cp1.grpcAddress!})`;
    // The stream ended with UNAVAILABLE `draining`: resumable, and it says where to go.
    await until("the stream ended", () => streamEnded);
    expect(streamEnd).toBeInstanceOf(ControlError);
    expect(streamEnd).toMatchObject({ code: "draining", retryable: true, grpcCode: grpc.status.UNAVAILABLE });
    expect(streamEnd!.message).toContain(`Replica cp-2 is draining; use ${leader}.`);
    // A new unary call is refused the same way, with the `drainkit-draining` trailer and the directions as details.
    const refused = (await raw.getPeer("cp-1").catch((e: unknown) => e)) as ControlError;
    expect(refused).toMatchObject({ code: "draining", retryable: true, grpcCode: grpc.status.UNAVAILABLE, details: { replica: "cp-2", leader: "cp-1", leaderGrpc: cp1.grpcAddress } });
    expect(refused.message).toBe(`${CONTROL_SERVICE_NAME} is draining on this server; retry on another. Replica cp-2 is draining; use ${leader}.`);
    expect((refused.cause as grpc.ServiceError).metadata.get(DRAINING_METADATA)).toEqual(["true"]);

    // The client transport (drainctl's) asks the configured endpoint again after a draining refusal, as it does after a REST 503.
    // Its backoff runs on this clock: the first wait is where the test resumes cp-2, so the retry lands on a serving replica.
    const sys = systemClock();
    const waits: number[] = [];
    let onFirstWait: (() => Promise<void>) | undefined = async () => {
      expect((await admin(cp1, "POST", "/control/peers/cp-2:resume", { reason: "upgrade done" })).status).toBe(200);
      await until("cp-2 serving again", async () => (await health(CONTROL_SERVICE_NAME)) === "SERVING");
    };
    const clock: Clock = {
      now: () => sys.now(),
      monotonic: () => sys.monotonic(),
      setTimer(ms, fn) {
        waits.push(ms);
        const hook = onFirstWait;
        onFirstWait = undefined;
        if (hook === undefined) return sys.setTimer(ms, fn);
        void hook().then(fn, fn);
        return sys.setTimer(0, () => {});
      },
      clearTimer: (h) => sys.clearTimer(h),
    };
    const transport = new GrpcControlClient({ address, token: ADMIN, clock });
    closers.push(() => transport.close());
    const answer = await transport.call<{ id: string }>("GET", "/control/peers/cp-1");
    expect(answer.body.id).toBe("cp-1");
    expect(waits).toHaveLength(1);
    expect([await health(""), await health(CONTROL_SERVICE_NAME)]).toEqual(["SERVING", "SERVING"]);

    // Refusals that outlast the retries surface as the 503 `draining` error REST gives, message included.
    await admin(cp1, "POST", "/control/peers/cp-2:drain", { reason: "again" });
    await until("cp-2 refusing again", async () => (await health(CONTROL_SERVICE_NAME)) === "NOT_SERVING");
    const impatient = new GrpcControlClient({ address, token: ADMIN, retry: { initialMs: 1, maxMs: 1 } });
    closers.push(() => impatient.close());
    const failed = await impatient.call("GET", "/control/peers/cp-1").catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ControlPlaneError);
    expect(failed).toMatchObject({ status: 503, code: "draining", retryable: true });
    expect((failed as Error).message).toContain("Replica cp-2 is draining; use the leader cp-1");
  });
});
