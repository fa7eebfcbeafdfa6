// @ts-nocheck
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

/** Directory holding `drainkit/control/v1/control.proto` and `grpc/health/v1/health.proto`. */
export const PROTO_DIR: string = fileURLToPath(new URL("../proto/", import.meta.url));

/**
 * How every drainkit proto is loaded. camelCase fields (`keepCase: false`) so
 * wire objects read like the registry's own types; int64 as JS numbers (epoch
 * milliseconds and revisions stay far below 2^53); enums as their names;
 * defaults filled in, except proto3 `optional` fields, which stay undefined
 * when absent, so "not sent" and "zero" differ where it matters.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let cached: { control: grpc.ServiceDefinition; health: grpc.ServiceDefinition; status: protoLoader.PackageDefinition } | undefined;

function load(): NonNullable<typeof cached> {
  if (cached !== undefined) return cached;
  const control = protoLoader.loadSync("drainkit/control/v1/control.proto", LOADER_OPTIONS);
  const health = protoLoader.loadSync("grpc/health/v1/health.proto", LOADER_OPTIONS);
  const status = protoLoader.loadSync("google/rpc/status.proto", LOADER_OPTIONS);
  cached = {
    control: control["drainkit.control.v1.Control"] as grpc.ServiceDefinition,
    health: health["grpc.health.v1.Health"] as grpc.ServiceDefinition,
    status,
  };
  return cached;
}

/** Full name of the control service, as health checks and participants name it. */
export const CONTROL_SERVICE_NAME = "drainkit.control.v1.Control";
/** Full name of the standard health service. */
export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

/** The `drainkit.control.v1.Control` service definition (for `server.addService` or a generic client). */
export function controlServiceDefinition(): grpc.ServiceDefinition {
  return load().control;
}

/** The `grpc.health.v1.Health` service definition. */
export function healthServiceDefinition(): grpc.ServiceDefinition {
  return load().health;
}

/** google.rpc.Status / ErrorInfo message types, for the `grpc-status-details-bin` trailer. */
export function statusPackage(): protoLoader.PackageDefinition {
  return load().status;
}
