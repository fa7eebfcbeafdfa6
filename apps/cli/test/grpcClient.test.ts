import { createRequire } from "node:module";
import { controlServiceDefinition } from "@drainkit/grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlClient } from "../src/client.ts";
import { CliError, EXIT } from "../src/errors.ts";
import { GrpcControlClient } from "../src/grpcClient.ts";

/** The few parts of grpc-js this test needs. */
interface GrpcServer {
  addService(service: unknown, implementation: object): void;
  bindAsync(address: string, credentials: unknown, done: (error: Error | null, port: number) => void): void;
  forceShutdown(): void;
}
// The grpc-js that @drainkit/grpc itself loads (drainctl has no direct dependency on it).
const grpc = createRequire(import.meta.resolve("@drainkit/grpc"))("@grpc/grpc-js") as { Server: new () => GrpcServer; ServerCredentials: { createInsecure(): unknown } };

let server: GrpcServer;
let address: string;

beforeAll(async () => {
  // A control plane from before the move RPCs: drainkit.control.v1 without handlers, so every RPC is UNIMPLEMENTED.
  server = new grpc.Server();
  server.addService(controlServiceDefinition(), {});
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  address = `127.0.0.1:${port}`;
});

afterAll(() => {
  server.forceShutdown();
});

describe("GrpcControlClient against a control plane without the move RPCs", () => {
  it("says moves need the REST API (exit 2), so drain progress can leave them out", async () => {
    const client = new GrpcControlClient({ address, token: "t" });
    try {
      const error = await client.call("GET", "/control/moves", { query: { peer: "web-1" } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({ title: "REST API required", exitCode: EXIT.usage });
      expect((error as CliError).message).toContain("/control/moves");
    } finally {
      client.close();
    }
  });

  it("asks the REST API instead when it has one", async () => {
    const asked: string[] = [];
    const rest: ControlClient = {
      server: "http://rest.test",
      call: async <T,>(method: string, path: string) => {
        asked.push(`${method} ${path}`);
        return { status: 200, etag: undefined, body: { items: [] } as T, headers: {} };
      },
      events: async function* () {
        yield* [];
      },
    };
    const client = new GrpcControlClient({ address, token: "t", rest });
    try {
      expect((await client.call<{ items: unknown[] }>("GET", "/control/moves", { query: { active: "true" } })).body).toEqual({ items: [] });
      expect(asked).toEqual(["GET /control/moves"]);
    } finally {
      client.close();
    }
  });
});
