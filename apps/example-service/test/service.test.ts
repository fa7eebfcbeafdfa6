import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { request } from "undici";
import { exampleGrpcClient, startExampleService, type ExampleService } from "../src/index.ts";

// One replica in-process, drained directly through its admin port (no control plane).
type Unary = (req: object, cb: (e: grpc.ServiceError | null, r: Record<string, unknown>) => void) => void;
interface ExampleClient extends grpc.Client {
  slow: Unary;
  ticks(req: object): grpc.ClientReadableStream<{ n: number; last: boolean }>;
}

let svc: ExampleService;
let client: ExampleClient;
const admin = (method: "GET" | "POST", path: string, body?: unknown, token = "admin-secret") =>
  request(`${svc.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const slow = (ms: number) => new Promise<Record<string, unknown>>((resolve, reject) => client.slow({ ms }, (e, r) => (e ? reject(e) : resolve(r))));
const ticks = (count: number, intervalMs: number) =>
  new Promise<number[]>((resolve, reject) => {
    const got: number[] = [];
    const call = client.ticks({ count, intervalMs });
    call.on("data", (t: { n: number }) => got.push(t.n));
    call.on("error", reject);
    call.on("end", () => resolve(got));
  });

beforeAll(async () => {
  svc = await startExampleService({ id: "svc-local", version: "1.2.3", latencyMs: 20, adminToken: "admin-secret", grpcGraceMs: 10_000, deregistrationDelayMs: 0 });
  const Ctor = exampleGrpcClient();
  client = new Ctor(svc.grpcAddress, grpc.credentials.createInsecure()) as unknown as ExampleClient;
});
afterAll(async () => {
  client?.close();
  await svc?.stop();
});

describe("example service drained through its own /control/upgrade routes", () => {
  it("refuses the admin routes without the admin token", async () => {
    const res = await admin("GET", "/control/upgrade", undefined, "wrong");
    expect(res.statusCode).toBe(401);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    await res.body.dump();
  });

  it("HTTP: in-flight and streaming requests finish, new ones get 503 + Retry-After, resume reopens", async () => {
    const inFlight = request(`${svc.httpUrl}/slow?ms=400`).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> }));
    const streaming = request(`${svc.httpUrl}/stream?chunks=8&intervalMs=40`).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }));
    // Both are in flight before the drain starts.
    for (;;) {
      const s = (await (await admin("GET", "/control/upgrade")).body.json()) as { participants: { name: string; inFlight: number }[] };
      if (s.participants.find((p) => p.name === "http")!.inFlight === 2) break;
    }
    const drain = await admin("POST", "/control/upgrade/drain", { reason: "local maintenance", deadlineMs: 30_000 });
    expect(drain.statusCode).toBe(202);
    expect(await drain.body.json()).toMatchObject({ status: "draining", reason: "local maintenance", blocking: ["http"] });

    const refused = await request(`${svc.httpUrl}/`);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    await refused.body.dump();

    expect(await inFlight).toEqual({ status: 200, body: { id: "svc-local", version: "1.2.3", sleptMs: 400 } });
    const s = await streaming;
    expect(s.status).toBe(200);
    expect(s.text.trimEnd().split("\n").at(-1)).toBe("end 8");

    let state: { status: string } = { status: "" };
    while (state.status !== "drained") state = (await (await admin("GET", "/control/upgrade")).body.json()) as { status: string };
    const resumed = await admin("POST", "/control/upgrade/resume");
    expect(resumed.statusCode).toBe(200);
    expect(await resumed.body.json()).toMatchObject({ status: "idle", phase: "active" });
    const ok = await request(`${svc.httpUrl}/`);
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.json()).toEqual({ id: "svc-local", version: "1.2.3" });
  });

  it("gRPC: unary calls and streams in flight finish, new calls are UNAVAILABLE while drained", async () => {
    const unary = slow(300);
    const stream = ticks(6, 40);
    for (;;) {
      const s = (await (await admin("GET", "/control/upgrade")).body.json()) as { participants: { name: string; inFlight: number }[] };
      if (s.participants.find((p) => p.name === "grpc")!.inFlight === 2) break;
    }
    const drain = await admin("POST", "/control/upgrade/drain", { reason: "grpc maintenance", wait: true });
    expect(await unary).toMatchObject({ id: "svc-local", version: "1.2.3", sleptMs: 300 });
    expect(await stream).toEqual([1, 2, 3, 4, 5, 6]);
    expect(drain.statusCode).toBe(200);
    expect(await drain.body.json()).toMatchObject({ status: "drained", blocking: [] });

    const refused = await slow(10).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
    expect(refused?.metadata.get("drainkit-draining")).toEqual(["true"]);

    await (await admin("POST", "/control/upgrade/resume")).body.dump();
    expect(await slow(5)).toMatchObject({ sleptMs: 5 });
  });
});

describe("ordered drain", () => {
  it("fails /readyz first and keeps serving, with Connection: close, until the deregistration delay ends", async () => {
    const other = await startExampleService({ id: "svc-ordered", version: "1", latencyMs: 5, deregistrationDelayMs: 600_000 });
    try {
      expect((await request(`${other.httpUrl}/readyz`)).statusCode).toBe(200);
      const drained = other.coordinator.drain({ deadline: Date.now() + 900_000, reason: "ordered" });
      const ready = await request(`${other.httpUrl}/readyz`);
      expect(ready.statusCode).toBe(503);
      expect(await ready.body.json()).toEqual({ ready: false, draining: true });
      const served = await request(`${other.httpUrl}/slow?ms=1`);
      expect(served.statusCode).toBe(200);
      expect(served.headers["connection"]).toBe("close");
      await served.body.dump();
      await other.coordinator.resume();
      expect((await drained).status).not.toBe("drained");
      expect((await request(`${other.httpUrl}/readyz`)).statusCode).toBe(200);
    } finally {
      await other.stop(AbortSignal.timeout(1_000)).catch(() => {});
    }
  });
});

describe("stopping the process", () => {
  it("drains first: a request in flight when stop() is called still gets its answer", async () => {
    const other = await startExampleService({ id: "svc-stop", version: "1", latencyMs: 20, deregistrationDelayMs: 0 });
    const inFlight = request(`${other.httpUrl}/slow?ms=300`).then(async (r) => ({ status: r.statusCode, body: await r.body.json() }));
    while (other.coordinator.snapshot().participants.find((p) => p.name === "http")!.inFlight === 0) await new Promise((r) => setImmediate(r));
    await other.stop();
    expect(await inFlight).toEqual({ status: 200, body: { id: "svc-stop", version: "1", sleptMs: 300 } });
    expect(other.lifecycle.snapshot().status).toBe("stopped");
  });
});
