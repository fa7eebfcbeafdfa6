import * as grpc from "@grpc/grpc-js";
import type { DrainParticipant } from "@drainkit/core";
import { CONTROL_SERVICE_NAME, type ControlServer } from "@drainkit/grpc";

/** The gRPC API as a drain participant, plus the interceptor that counts its calls. */
export interface GrpcDrainParticipant extends DrainParticipant {
  /** Pass in the server's `interceptors`: counts unary calls in flight. */
  readonly interceptor: grpc.ServerInterceptor;
}

/**
 * Drains the gRPC API: grpc.health.v1 turns NOT_SERVING for "" and the
 * control service (clients that check health go to another replica), and
 * unary calls in flight finish; streams (WatchEvents) end when the server
 * stops. Resume turns health back to SERVING.
 */
export function createGrpcDrainParticipant(server: () => ControlServer | undefined): GrpcDrainParticipant {
  let live = 0;
  const idle = new Set<() => void>();
  const health = (status: "SERVING" | "NOT_SERVING"): void => {
    const s = server();
    s?.health.setStatus("", status);
    s?.health.setStatus(CONTROL_SERVICE_NAME, status);
  };
  const interceptor: grpc.ServerInterceptor = (method, call) => {
    if (method.responseStream) return new grpc.ServerInterceptingCall(call);
    live++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      live--;
      if (live === 0) for (const l of [...idle]) l();
    };
    return new grpc.ServerInterceptingCall(call, {
      // A call the client cancels never sends a status: it ends here.
      start: (next) => next({ onCancel: end }),
      sendStatus: (status, next) => {
        end();
        next(status);
      },
    });
  };
  return {
    name: "grpc",
    interceptor,
    drain: () => health("NOT_SERVING"),
    inFlight: () => live,
    onIdle(listener) {
      idle.add(listener);
      return () => idle.delete(listener);
    },
    resume: () => health("SERVING"),
  };
}
