// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LOADER_OPTIONS } from "../proto.ts";

/** Full name of the test echo service. */
export const ECHO_SERVICE_NAME = "drainkit.testing.v1.Echo";

let cached: grpc.ServiceDefinition | undefined;

/**
 * `drainkit.testing.v1.Echo` (unary `Say`, server-streaming `Ticks`): the
 * user service a drain participant gates in tests, and the bare baseline of
 * the benchmark.
 */
export function echoServiceDefinition(): grpc.ServiceDefinition {
  cached ??= protoLoader.loadSync("drainkit/testing/v1/echo.proto", LOADER_OPTIONS)[ECHO_SERVICE_NAME] as grpc.ServiceDefinition;
  return cached;
}

/** A client of the echo service; `say` rejects with the grpc-js `ServiceError`. */
export interface EchoClient {
  say(text: string): Promise<string>;
  ticks(text: string): grpc.ClientReadableStream<{ readonly n: number }>;
  close(): void;
}

/** Connects to an echo service (plain TCP). */
export function createEchoClient(address: string): EchoClient {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const def = echoServiceDefinition();
  const say = def["Say"]!;
  const ticks = def["Ticks"]!;
  return {
    say: (text) =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(say.path, say.requestSerialize as (v: object) => Buffer, say.responseDeserialize as (b: Buffer) => { text: string }, { text }, (e, r) => (e ? reject(e) : resolve(r?.text ?? "")))),
    ticks: (text) => client.makeServerStreamRequest(ticks.path, ticks.requestSerialize as (v: object) => Buffer, ticks.responseDeserialize as (b: Buffer) => { n: number }, { text }),
    close: () => client.close(),
  };
}
