// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import { systemClock, type Clock, type DrainParticipant, type TimerHandle } from "@drainkit/core";
import type { HealthService } from "./health.ts";

/** Options of {@link createGrpcDrainParticipant}. */
export interface GrpcDrainParticipantOptions {
  /** Full names of the services this participant gates, e.g. `"demo.Echo"`. Other services (health) stay open. */
  readonly services: readonly string[];
  /** When given, the services turn NOT_SERVING on drain and SERVING on resume. */
  readonly health?: HealthService;
  /**
   * Whether the whole server's health (the service name `""`, what
   * Kubernetes gRPC probes and `grpc_health_probe` ask by default) turns
   * NOT_SERVING too while this participant drains, so default probes take the
   * host out. It turns SERVING again once no participant sharing `health`
   * drains. Set false on a participant for one role of several, whose drain
   * must not take the whole server out. Only when `""` was set on `health`
   * (unset, Check answers NOT_FOUND). Default true.
   */
  readonly overallHealth?: boolean;
  /** How long streaming calls in flight may run after the drain starts; then they end with UNAVAILABLE. Default 5 000. */
  readonly graceMs?: number;
  /** Once drained: keep the server up, refusing gated calls (`park`, default), or shut it down (`shutdown`). */
  readonly afterDrain?: "park" | "shutdown";
  /** Participant name in snapshots and metrics; default `"grpc"`. */
  readonly name?: string;
  readonly roles?: readonly string[];
  /** For the grace timer; default the system clock. */
  readonly clock?: Clock;
  /**
   * How long a drain keeps accepting new calls after health turned
   * NOT_SERVING, so clients and load balancers watching health move away
   * before any call is refused. `deregistered()` ends it early; 0 refuses at
   * once. Default 3 000.
   */
  readonly deregistrationDelayMs?: number;
}

/** A {@link DrainParticipant} for a grpc-js server. */
export interface GrpcDrainParticipant extends DrainParticipant {
  /** True between `drain()` and `resume()`. */
  readonly draining: boolean;
  /** Resolves once the server has shut down (only with `afterDrain: "shutdown"`). */
  readonly shutdown: Promise<void>;
  /** Clients acknowledged the host is out: refuse new calls now instead of waiting out the delay. */
  deregistered(): void;
}

/** Trailer set on calls refused or cut because the server drains, so a client can tell it from an outage. */
export const DRAINING_METADATA = "drainkit-draining";

interface TrackedCall {
  readonly streaming: boolean;
  readonly cut: () => void;
}

/** The participants draining with each health service, so `""` turns SERVING only when the last of them resumes. */
const drainingByHealth = new WeakMap<HealthService, Set<object>>();

function serviceOf(path: string): string {
  const parts = path.split("/");
  return parts[1] ?? "";
}

function drainingStatus(details: string): Partial<grpc.StatusObject> & { code: grpc.status; details: string } {
  const metadata = new grpc.Metadata();
  metadata.set(DRAINING_METADATA, "true");
  metadata.set("drainkit-error-code", "draining");
  return { code: grpc.status.UNAVAILABLE, details, metadata };
}

/**
 * Lets a grpc-js server take part in drains. On `drain`: the health service
 * reports NOT_SERVING for `services` at once; new calls are still accepted
 * for `deregistrationDelayMs` (clients watching health move away first);
 * then new calls to them are refused with
 * UNAVAILABLE (clients retry elsewhere); unary calls in flight complete;
 * streaming calls in flight keep running for `graceMs`, then end with
 * UNAVAILABLE and the `drainkit-draining` trailer (a resumable stream
 * reconnects elsewhere). Once nothing is in flight the server stays parked,
 * or shuts down with `afterDrain: "shutdown"`.
 *
 * It installs a server interceptor (grpc-js ≥ 1.10) on `server`, so it sees
 * services added before and after it was created.
 *
 * @example
 * const health = createHealthService({ "demo.Echo": "SERVING" });
 * health.addTo(server);
 * const grpcIn = createGrpcDrainParticipant(server, { services: ["demo.Echo"], health, graceMs: 10_000, afterDrain: "park" });
 * const coordinator = new NodeDrainCoordinator({ clock, participants: [grpcIn] });
 */
export function createGrpcDrainParticipant(server: grpc.Server, options: GrpcDrainParticipantOptions): GrpcDrainParticipant {
  const name = options.name ?? "grpc";
  const clock = options.clock ?? systemClock();
  const graceMs = options.graceMs ?? 5_000;
  const afterDrain = options.afterDrain ?? "park";
  const gated = new Set(options.services);
  const overall = options.overallHealth ?? true;
  const self = {};
  const markOverall = (drainingNow: boolean): void => {
    const health = options.health;
    // A server that never registered "" answers NOT_FOUND for it, which probes already read as not serving.
    if (health === undefined || !overall || health.status("") === undefined) return;
    let set = drainingByHealth.get(health);
    if (set === undefined) drainingByHealth.set(health, (set = new Set()));
    if (drainingNow) set.add(self);
    else set.delete(self);
    health.setStatus("", set.size > 0 ? "NOT_SERVING" : "SERVING");
  };
  const calls = new Set<TrackedCall>();
  const idleListeners = new Set<() => void>();
  const delayMs = Math.max(0, options.deregistrationDelayMs ?? 3_000);
  // `open` is the gate (new calls accepted); `draining` starts earlier, when health fails.
  let open = true;
  let draining = false;
  let delay: { timer: TimerHandle | undefined; done: () => void } | undefined;
  let grace: TimerHandle | undefined;
  let shuttingDown = false;
  let resolveShutdown!: () => void;
  const shutdown = new Promise<void>((resolve) => (resolveShutdown = resolve));

  const maybeShutDown = (): void => {
    if (open || afterDrain !== "shutdown" || calls.size > 0 || shuttingDown) return;
    shuttingDown = true;
    // Health Watch streams never end on their own and would hold tryShutdown open.
    options.health?.close();
    const force = clock.setTimer(graceMs, () => server.forceShutdown());
    server.tryShutdown(() => {
      clock.clearTimer(force);
      resolveShutdown();
    });
  };

  const ended = (call: TrackedCall): void => {
    if (!calls.delete(call)) return;
    if (calls.size > 0) return;
    if (grace !== undefined) clock.clearTimer(grace);
    grace = undefined;
    for (const fn of [...idleListeners]) fn();
    maybeShutDown();
  };

  const interceptor: grpc.ServerInterceptor = (method, call) => {
    if (!gated.has(serviceOf(method.path))) return new grpc.ServerInterceptingCall(call);
    let tracked: TrackedCall | undefined;
    const finish = (): void => {
      if (tracked !== undefined) ended(tracked);
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            if (!open) {
              call.sendStatus(drainingStatus(`${serviceOf(method.path)} is draining on this server; retry on another.`));
              return;
            }
            const t: TrackedCall = {
              streaming: method.requestStream || method.responseStream,
              cut: () => call.sendStatus(drainingStatus("The server is draining; the stream ended after its grace period. Reconnect to another server.")),
            };
            tracked = t;
            calls.add(t);
            nextMetadata(metadata);
          },
          onCancel: finish,
        });
      },
      sendStatus(status, next) {
        next(status);
        finish();
      },
    });
  };

  const internals = server as unknown as { interceptors?: grpc.ServerInterceptor[] };
  if (!Array.isArray(internals.interceptors)) {
    throw new Error("createGrpcDrainParticipant needs a @grpc/grpc-js Server with interceptor support (>= 1.10).");
  }
  // First, so a draining server refuses before any other interceptor (auth, logging) does work.
  internals.interceptors.unshift(interceptor);

  const closeGate = (): void => {
    if (!open) return;
    if (delay?.timer !== undefined) clock.clearTimer(delay.timer);
    const finish = delay?.done;
    delay = undefined;
    open = false;
    if ([...calls].some((c) => c.streaming)) grace = clock.setTimer(graceMs, cutStreams);
    maybeShutDown();
    finish?.();
  };

  const cutStreams = (): void => {
    grace = undefined;
    for (const call of [...calls]) if (call.streaming) call.cut();
  };

  return {
    name,
    ...(options.roles === undefined ? {} : { roles: options.roles }),
    get draining() {
      return draining;
    },
    shutdown,
    drain(signal) {
      if (!open) return;
      if (!draining) {
        draining = true;
        for (const service of gated) options.health?.setStatus(service, "NOT_SERVING");
        markOverall(true);
      }
      if (delayMs === 0) {
        closeGate();
        return;
      }
      return new Promise<void>((resolve) => {
        signal?.addEventListener("abort", () => resolve(), { once: true });
        if (delay !== undefined) {
          const before = delay.done;
          delay.done = () => {
            before();
            resolve();
          };
          return;
        }
        delay = { timer: clock.setTimer(delayMs, closeGate), done: resolve };
      });
    },
    deregistered() {
      if (draining) closeGate();
    },
    inFlight: () => calls.size,
    onIdle(listener) {
      idleListeners.add(listener);
      return () => void idleListeners.delete(listener);
    },
    resume() {
      if (grace !== undefined) clock.clearTimer(grace);
      grace = undefined;
      if (delay?.timer !== undefined) clock.clearTimer(delay.timer);
      const finish = delay?.done;
      delay = undefined;
      finish?.();
      open = true;
      for (const service of gated) options.health?.setStatus(service, "SERVING");
      if (draining) markOverall(false);
      draining = false;
    },
  };
}
