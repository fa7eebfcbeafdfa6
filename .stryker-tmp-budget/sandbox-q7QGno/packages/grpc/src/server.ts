// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import { addControlService, type ControlServiceOptions } from "./controlService.ts";
import { createHealthService, type HealthService } from "./health.ts";
import { CONTROL_SERVICE_NAME } from "./proto.ts";

/** Options of {@link startControlServer}: the control service's plus where to listen. */
export interface ControlServerOptions extends ControlServiceOptions {
  /** `host:port`; port 0 picks a free one. E.g. `127.0.0.1:7401`. */
  readonly address: string;
  /** Default: insecure (plain TCP). */
  readonly credentials?: grpc.ServerCredentials;
  readonly serverOptions?: grpc.ServerOptions;
}

/** A listening control server. */
export interface ControlServer {
  /** `host:port` actually bound (the real port when 0 was asked for). */
  readonly address: string;
  readonly server: grpc.Server;
  /** grpc.health.v1: "" and the control service start SERVING. */
  readonly health: HealthService;
  /** Ends health watches, lets calls in flight finish for up to `graceMs` (default 5 000), then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `drainkit.control.v1.Control` and grpc.health.v1 on `address`: what
 * `drainkit serve --grpc 127.0.0.1:7401` runs beside the HTTP API, over the
 * same registry and the same token verifier.
 *
 * @example
 * const grpcApi = await startControlServer({
 *   address: "127.0.0.1:7401",
 *   registry,
 *   authenticate: async (token) => (token === undefined ? undefined : authenticator.authenticate(token)),
 * });
 * // on SIGTERM:
 * await grpcApi.close();
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const server = new grpc.Server(options.serverOptions ?? {});
  addControlService(server, options);
  const health = createHealthService({ "": "SERVING", [CONTROL_SERVICE_NAME]: "SERVING" });
  health.addTo(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, options.credentials ?? grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const host = options.address.slice(0, options.address.lastIndexOf(":"));
  return {
    address: `${host}:${port}`,
    server,
    health,
    close(graceMs = 5_000) {
      health.setStatus("", "NOT_SERVING");
      health.setStatus(CONTROL_SERVICE_NAME, "NOT_SERVING");
      health.close();
      return new Promise<void>((resolve) => {
        // Open WatchEvents streams never end by themselves; the grace bounds the wait for them.
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
