// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { NodeDrainCoordinator, systemClock, type DrainResult } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addControlService, CONTROL_SERVICE_NAME, ControlError, createControlClient, createGrpcDrainParticipant, createHealthService, DRAINING_METADATA, PROTO_DIR, type GrpcDrainParticipant, type GrpcDrainParticipantOptions } from "../src/index.ts";
import { makeMemoryStore, createRegistry } from "@drainkit/registry";
import { staticTokens, testPrincipals } from "../src/testing/index.ts";
import { createEchoClient, ECHO_SERVICE_NAME, echoServiceDefinition, type EchoClient } from "../src/testing/index.ts";

type HealthClient = grpc.Client & {
  Check(req: { service: string }, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

/** A grpc.health.v1 client built from the standard proto alone, as any probe would be. */
function healthClient(address: string): HealthClient {
  const pkg = protoLoader.loadSync(join(PROTO_DIR, "grpc/health/v1/health.proto"), { enums: String });
  const Ctor = grpc.makeGenericClientConstructor(pkg["grpc.health.v1.Health"] as grpc.ServiceDefinition, "Health");
  return new Ctor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setImmediate(check));
    check();
  });
}

interface Rig {
  readonly address: string;
  readonly server: grpc.Server;
  readonly participant: GrpcDrainParticipant;
  readonly coordinator: NodeDrainCoordinator;
  readonly echo: EchoClient;
  readonly health: HealthClient;
  /** Unary `Say("hold")` calls waiting for the test to answer them. */
  readonly held: (() => void)[];
  /** `Ticks` streams in flight, for the test to write to and end. */
  readonly streams: grpc.ServerWritableStream<unknown, { n: number }>[];
}

const rigs: Rig[] = [];

async function rig(options: Partial<GrpcDrainParticipantOptions> = {}): Promise<Rig> {
  const server = new grpc.Server();
  const health = createHealthService({ "": "SERVING", [ECHO_SERVICE_NAME]: "SERVING" });
  health.addTo(server);
  const held: (() => void)[] = [];
  const streams: grpc.ServerWritableStream<unknown, { n: number }>[] = [];
  server.addService(echoServiceDefinition(), {
    Say(call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, callback: grpc.sendUnaryData<{ text: string }>) {
      if (call.request.text === "hold") held.push(() => callback(null, { text: "held" }));
      else callback(null, { text: call.request.text });
    },
    Ticks(call: grpc.ServerWritableStream<unknown, { n: number }>) {
      streams.push(call);
      call.write({ n: 0 });
    },
  });
  const participant = createGrpcDrainParticipant(server, { services: [ECHO_SERVICE_NAME], health, graceMs: 60_000, deregistrationDelayMs: 0, ...options });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const address = `127.0.0.1:${port}`;
  const r: Rig = {
    address,
    server,
    participant,
    coordinator: new NodeDrainCoordinator({ clock: systemClock(), participants: [participant], roles: ["edge"] }),
    echo: createEchoClient(address),
    health: healthClient(address),
    held,
    streams,
  };
  rigs.push(r);
  return r;
}

afterEach(() => {
  for (const r of rigs.splice(0)) {
    r.echo.close();
    r.health.close();
    r.server.forceShutdown();
  }
});

const farDeadline = (): number => systemClock().now() + 600_000;

function collect(stream: grpc.ClientReadableStream<{ n: number }>): { ticks: number[]; done: Promise<grpc.StatusObject> } {
  const ticks: number[] = [];
  stream.on("data", (t: { n: number }) => ticks.push(t.n));
  // The status is the call's last word, whether it ended well or not.
  const done = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
  stream.on("error", () => {});
  return { ticks, done };
}

describe("gRPC drain participant", () => {
  it("turns health NOT_SERVING on drain and SERVING on resume, as a real health client sees it", async () => {
    const r = await rig();
    const seen: string[] = [];
    const watch = r.health.Watch({ service: ECHO_SERVICE_NAME });
    watch.on("data", (m: { status: string }) => seen.push(m.status));
    watch.on("error", () => {});
    await until(() => seen.length === 1);

    const result = await r.coordinator.drain({ deadline: farDeadline(), reason: "upgrade" });
    expect(result.status).toBe("drained");
    await until(() => seen.length === 2);
    const check = await new Promise<string | undefined>((resolve) => r.health.Check({ service: ECHO_SERVICE_NAME }, (_e, m) => resolve(m?.status)));
    expect(check).toBe("NOT_SERVING");
    // The whole server ("" : what Kubernetes probes and grpc_health_probe ask by default) is out too.
    const whole = await new Promise<string | undefined>((resolve) => r.health.Check({ service: "" }, (_e, m) => resolve(m?.status)));
    expect(whole).toBe("NOT_SERVING");

    await r.coordinator.resume();
    await until(() => seen.length === 3);
    watch.cancel();
    expect(seen).toEqual(["SERVING", "NOT_SERVING", "SERVING"]);
    const wholeAgain = await new Promise<string | undefined>((resolve) => r.health.Check({ service: "" }, (_e, m) => resolve(m?.status)));
    expect(wholeAgain).toBe("SERVING");
    const unknown = await new Promise<grpc.ServiceError | null>((resolve) => r.health.Check({ service: "nope" }, (e) => resolve(e)));
    expect(unknown?.code).toBe(grpc.status.NOT_FOUND);
  });

  it("refuses new calls with UNAVAILABLE while draining and serves them again after resume", async () => {
    const r = await rig();
    expect(await r.echo.say("before")).toBe("before");
    await r.coordinator.drain({ deadline: farDeadline(), reason: "upgrade" });
    const refused = await r.echo.say("during").catch((e: grpc.ServiceError) => e);
    expect(refused).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect((refused as grpc.ServiceError).metadata.get(DRAINING_METADATA)).toEqual(["true"]);
    const stream = collect(r.echo.ticks("during"));
    expect((await stream.done).code).toBe(grpc.status.UNAVAILABLE);
    expect(r.streams).toHaveLength(0);
    await r.coordinator.resume();
    expect(await r.echo.say("after")).toBe("after");
  });

  it("lets a unary call in flight complete; the drain finishes when it does", async () => {
    const r = await rig();
    const reply = r.echo.say("hold");
    await until(() => r.held.length === 1);
    let result: DrainResult | undefined;
    const draining = r.coordinator.drain({ deadline: farDeadline(), reason: "upgrade" }).then((d) => (result = d));
    await until(() => r.participant.draining);
    expect(r.participant.inFlight()).toBe(1);
    expect(result).toBeUndefined();
    r.held[0]!();
    expect(await reply).toBe("held");
    expect((await draining).status).toBe("drained");
  });

  it("keeps a streaming call in flight alive through the drain until it ends by itself", async () => {
    const r = await rig();
    const stream = collect(r.echo.ticks("watch"));
    await until(() => stream.ticks.length === 1);
    const draining = r.coordinator.drain({ deadline: farDeadline(), reason: "upgrade" });
    await until(() => r.participant.draining);
    r.streams[0]!.write({ n: 1 });
    r.streams[0]!.write({ n: 2 });
    await until(() => stream.ticks.length === 3);
    r.streams[0]!.end();
    expect((await stream.done).code).toBe(grpc.status.OK);
    expect(stream.ticks).toEqual([0, 1, 2]);
    expect((await draining).status).toBe("drained");
  });

  it("ends a stream that outlives its grace period cleanly with UNAVAILABLE", async () => {
    const clock = new SimulatedClock();
    const r = await rig({ clock, graceMs: 5_000 });
    const stream = collect(r.echo.ticks("watch"));
    await until(() => stream.ticks.length === 1);
    const draining = r.coordinator.drain({ deadline: farDeadline(), reason: "upgrade" });
    await until(() => r.participant.draining);
    r.streams[0]!.write({ n: 1 });
    await until(() => stream.ticks.length === 2);
    clock.advance(5_000);
    const status = await stream.done;
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.metadata.get(DRAINING_METADATA)).toEqual(["true"]);
    expect(stream.ticks).toEqual([0, 1]);
    expect((await draining).status).toBe("drained");
  });

  it("shuts the server down once drained when asked to", async () => {
    const r = await rig({ afterDrain: "shutdown" });
    const watch = r.health.Watch({ service: ECHO_SERVICE_NAME });
    watch.on("error", () => {});
    watch.on("data", () => {});
    const reply = r.echo.say("hold");
    await until(() => r.held.length === 1);
    const draining = r.coordinator.drain({ deadline: farDeadline(), reason: "decommission" });
    await until(() => r.participant.draining);
    r.held[0]!();
    expect(await reply).toBe("held");
    expect((await draining).status).toBe("drained");
    await r.participant.shutdown;
    const fresh = createEchoClient(r.address);
    const after = await fresh.say("anyone?").catch((e: grpc.ServiceError) => e);
    fresh.close();
    expect(after).toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it("drains only the services of the roles being drained", async () => {
    const server = new grpc.Server();
    const health = createHealthService({ [ECHO_SERVICE_NAME]: "SERVING", [CONTROL_SERVICE_NAME]: "SERVING" });
    health.addTo(server);
    server.addService(echoServiceDefinition(), {
      Say: (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) => cb(null, { text: call.request.text }),
    });
    const registry = createRegistry({ store: makeMemoryStore(), clock: systemClock() });
    addControlService(server, { registry, authenticate: staticTokens({ t: testPrincipals["mesh.read"] }) });
    const edge = createGrpcDrainParticipant(server, { name: "grpc-edge", roles: ["edge"], services: [ECHO_SERVICE_NAME], health, deregistrationDelayMs: 0 });
    const ingest = createGrpcDrainParticipant(server, { name: "grpc-ingest", roles: ["ingest"], services: [CONTROL_SERVICE_NAME], health, deregistrationDelayMs: 0 });
    const coordinator = new NodeDrainCoordinator({ clock: systemClock(), participants: [edge, ingest], roles: ["edge", "ingest"] });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const echo = createEchoClient(`127.0.0.1:${port}`);
    const control = createControlClient(`127.0.0.1:${port}`, { token: "t" });
    try {
      expect((await coordinator.drain({ deadline: farDeadline(), reason: "edge only", roles: ["edge"] })).status).toBe("drained");
      expect(await echo.say("x").catch((e: grpc.ServiceError) => grpc.status[e.code])).toBe("UNAVAILABLE");
      expect((await control.listClusters()).length).toBe(0);
      expect([health.status(ECHO_SERVICE_NAME), health.status(CONTROL_SERVICE_NAME)]).toEqual(["NOT_SERVING", "SERVING"]);

      await coordinator.drain({ deadline: farDeadline(), reason: "everything" });
      const refused = await control.listClusters().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ControlError);
      expect(refused).toMatchObject({ code: "draining", retryable: true, grpcCode: grpc.status.UNAVAILABLE });
      expect(health.status(CONTROL_SERVICE_NAME)).toBe("NOT_SERVING");
    } finally {
      echo.close();
      control.close();
      server.forceShutdown();
    }
  });
});

describe("gRPC drain participant, the whole server's health", () => {
  const check = (r: Rig, service: string): Promise<string | undefined> => new Promise((resolve) => r.health.Check({ service }, (_e, m) => resolve(m?.status)));

  it("keeps \"\" SERVING with overallHealth: false", async () => {
    const r = await rig({ overallHealth: false });
    await r.coordinator.drain({ deadline: farDeadline(), reason: "one role of several" });
    expect([await check(r, ECHO_SERVICE_NAME), await check(r, "")]).toEqual(["NOT_SERVING", "SERVING"]);
  });

  it("turns \"\" SERVING only when the last participant sharing the health service resumes", async () => {
    const server = new grpc.Server();
    const health = createHealthService({ "": "SERVING", [ECHO_SERVICE_NAME]: "SERVING", [CONTROL_SERVICE_NAME]: "SERVING" });
    const edge = createGrpcDrainParticipant(server, { name: "grpc-edge", services: [ECHO_SERVICE_NAME], health, deregistrationDelayMs: 0 });
    const ingest = createGrpcDrainParticipant(server, { name: "grpc-ingest", services: [CONTROL_SERVICE_NAME], health, deregistrationDelayMs: 0 });
    await edge.drain(new AbortController().signal);
    await ingest.drain(new AbortController().signal);
    expect(health.status("")).toBe("NOT_SERVING");
    edge.resume();
    expect(health.status("")).toBe("NOT_SERVING");
    ingest.resume();
    expect(health.status("")).toBe("SERVING");
    // A resume without a drain leaves "" alone.
    health.setStatus("", "NOT_SERVING");
    edge.resume();
    expect(health.status("")).toBe("NOT_SERVING");
  });
});

describe("gRPC drain participant, ordered drain", () => {
  it("turns health NOT_SERVING first, keeps accepting calls for the deregistration delay, then refuses them", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const r = await rig({ deregistrationDelayMs: 5_000, clock });
    let gateClosed = false;
    const closing = Promise.resolve(r.participant.drain(new AbortController().signal)).then(() => (gateClosed = true));
    expect(r.participant.draining).toBe(true);
    const check = await new Promise<string | undefined>((resolve) => r.health.Check({ service: ECHO_SERVICE_NAME }, (_e, m) => resolve(m?.status)));
    expect(check).toBe("NOT_SERVING");
    expect(await r.echo.say("during the delay")).toBe("during the delay");
    expect(gateClosed).toBe(false);
    clock.advance(5_000);
    await closing;
    const refused = await r.echo.say("after").catch((e: grpc.ServiceError) => e);
    expect(typeof refused).not.toBe("string");
    expect((refused as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    expect((refused as grpc.ServiceError).metadata.get(DRAINING_METADATA)[0]).toBe("true");
    r.participant.resume();
    expect(await r.echo.say("resumed")).toBe("resumed");
  });

  it("refuses at once when clients acknowledge with deregistered()", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const r = await rig({ deregistrationDelayMs: 60_000, clock });
    const closing = r.participant.drain(new AbortController().signal);
    r.participant.deregistered();
    await closing;
    expect(clock.pendingTimers).toBe(0);
    const refused = await r.echo.say("x").catch((e: grpc.ServiceError) => e);
    expect((refused as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });
});
