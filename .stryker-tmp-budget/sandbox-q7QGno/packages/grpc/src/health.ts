// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import { healthServiceDefinition } from "./proto.ts";

/** A service's status as grpc.health.v1 reports it. */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/**
 * The standard `grpc.health.v1.Health` service (Check and Watch), so load
 * balancers, Kubernetes gRPC probes and `grpc_health_probe` see a draining
 * service as NOT_SERVING. The empty service name "" stands for the whole
 * server.
 */
export interface HealthService {
  /** Sets one service's status; Watch streams hear about it at once. */
  setStatus(service: string, status: ServingStatus): void;
  /** Current status; undefined for a service never set (Check answers NOT_FOUND). */
  status(service: string): ServingStatus | undefined;
  /** Mounts the service on a server. */
  addTo(server: grpc.Server): void;
  /** Ends every Watch stream (call before shutting the server down). */
  close(): void;
}

type HealthRequest = { readonly service?: string };
type HealthResponse = { readonly status: ServingStatus | "SERVICE_UNKNOWN" };

/**
 * Creates a grpc.health.v1 service. `initial` sets statuses up front.
 *
 * @example
 * const health = createHealthService({ "": "SERVING", "demo.Echo": "SERVING" });
 * health.addTo(server);
 * health.setStatus("demo.Echo", "NOT_SERVING");
 */
export function createHealthService(initial: Readonly<Record<string, ServingStatus>> = {}): HealthService {
  const statuses = new Map<string, ServingStatus>(Object.entries(initial));
  const watchers = new Map<string, Set<grpc.ServerWritableStream<HealthRequest, HealthResponse>>>();

  const implementation: grpc.UntypedServiceImplementation = {
    Check(call: grpc.ServerUnaryCall<HealthRequest, HealthResponse>, callback: grpc.sendUnaryData<HealthResponse>) {
      const service = call.request.service ?? "";
      const status = statuses.get(service);
      if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `Unknown service "${service}"` });
      else callback(null, { status });
    },
    Watch(call: grpc.ServerWritableStream<HealthRequest, HealthResponse>) {
      const service = call.request.service ?? "";
      let set = watchers.get(service);
      if (set === undefined) watchers.set(service, (set = new Set()));
      set.add(call);
      const forget = (): void => void set.delete(call);
      call.on("cancelled", forget);
      call.on("close", forget);
      call.write({ status: statuses.get(service) ?? "SERVICE_UNKNOWN" });
    },
  };

  return {
    setStatus(service, status) {
      if (statuses.get(service) === status) return;
      statuses.set(service, status);
      for (const call of watchers.get(service) ?? []) call.write({ status });
    },
    status: (service) => statuses.get(service),
    addTo(server) {
      server.addService(healthServiceDefinition(), implementation);
    },
    close() {
      for (const set of watchers.values()) {
        for (const call of set) call.end();
        set.clear();
      }
    },
  };
}
