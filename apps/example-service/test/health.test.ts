import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { PROTO_DIR } from "@drainkit/grpc";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { EXAMPLE_GRPC_SERVICE, startExampleService, type ExampleService } from "../src/index.ts";

// What a default probe sees while a replica drains: Kubernetes' gRPC probe and
// grpc_health_probe ask the service "" unless told otherwise; HTTP probes ask /readyz.

type HealthClient = grpc.Client & { Check(req: { service: string }, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void): void };

/** A grpc.health.v1 client built from the standard proto alone, as any probe is. */
function healthClient(address: string): HealthClient {
  const pkg = protoLoader.loadSync(join(PROTO_DIR, "grpc/health/v1/health.proto"), { enums: String });
  const Ctor = grpc.makeGenericClientConstructor(pkg["grpc.health.v1.Health"] as grpc.ServiceDefinition, "Health");
  return new Ctor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

const running: { svc: ExampleService; health: HealthClient }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.health.close();
    await r.svc.stop(AbortSignal.timeout(2_000)).catch(() => {});
  }
});

async function replica(options: { id: string; grpcOverallHealth?: boolean }): Promise<{ svc: ExampleService; check: (service: string) => Promise<string>; readyz: () => Promise<number> }> {
  // A long deregistration delay: the drain has begun (probes must fail) but the gate is still open.
  const svc = await startExampleService({ id: options.id, version: "1", latencyMs: 5, deregistrationDelayMs: 600_000, ...(options.grpcOverallHealth === undefined ? {} : { grpcOverallHealth: options.grpcOverallHealth }) });
  const health = healthClient(svc.grpcAddress);
  running.push({ svc, health });
  const check = (service: string): Promise<string> =>
    new Promise((resolve) => health.Check({ service }, (e, r) => resolve(e === null ? (r?.status ?? "?") : grpc.status[e.code])));
  const readyz = async (): Promise<number> => {
    const res = await request(`${svc.httpUrl}/readyz`);
    await res.body.dump();
    return res.statusCode;
  };
  return { svc, check, readyz };
}

describe("example-service health while draining", () => {
  it("answers NOT_SERVING for the whole server \"\" and its own service, and fails /readyz, until resume", async () => {
    const { svc, check, readyz } = await replica({ id: "svc-health" });
    expect([await check(""), await check(EXAMPLE_GRPC_SERVICE), await readyz()]).toEqual(["SERVING", "SERVING", 200]);

    const drained = svc.coordinator.drain({ deadline: Date.now() + 900_000, reason: "probe test" });
    expect([await check(""), await check(EXAMPLE_GRPC_SERVICE), await readyz()]).toEqual(["NOT_SERVING", "NOT_SERVING", 503]);

    await svc.coordinator.resume();
    await drained;
    expect([await check(""), await check(EXAMPLE_GRPC_SERVICE), await readyz()]).toEqual(["SERVING", "SERVING", 200]);
  });

  it("keeps \"\" SERVING when configured to (grpcOverallHealth: false), its own service still NOT_SERVING", async () => {
    const { svc, check, readyz } = await replica({ id: "svc-keep", grpcOverallHealth: false });
    const drained = svc.coordinator.drain({ deadline: Date.now() + 900_000, reason: "probe test" });
    expect([await check(""), await check(EXAMPLE_GRPC_SERVICE), await readyz()]).toEqual(["SERVING", "NOT_SERVING", 503]);
    await svc.coordinator.resume();
    await drained;
  });
});
