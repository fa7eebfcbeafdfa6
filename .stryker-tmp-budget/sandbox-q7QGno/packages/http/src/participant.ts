// @ts-nocheck
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { constants as h2, type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import { systemClock, type Clock, type DrainParticipant, type TimerHandle } from "@drainkit/core";
import { problem, PROBLEM_CONTENT_TYPE } from "./problem.ts";

/** Any server the participant can gate: node:http, node:https, node:http2 (plain or secure). */
export type GateableServer = HttpServer | HttpsServer | Http2Server | Http2SecureServer;

/** Settings for {@link createHttpDrainParticipant}. */
export interface HttpDrainParticipantOptions {
  /** Participant name in status reports. Default "http". */
  readonly name?: string;
  /** Seconds sent in Retry-After on the 503s answered while draining. Default 5. */
  readonly retryAfterSeconds?: number;
  /**
   * How long a drain keeps serving new requests after readiness has failed,
   * before the gate refuses any: the time routers and load balancers need to
   * stop sending here (ELB's deregistration delay, Envoy's drain before
   * listener close). {@link HttpDrainParticipant.deregistered} ends it early.
   * 0 closes the gate at once. Default 3 000.
   */
  readonly deregistrationDelayMs?: number;
  /** For the deregistration delay; default the system clock. */
  readonly clock?: Clock;
}

/**
 * Where a drain stands:
 * - `serving`: no drain;
 * - `deregistering`: readiness fails and new requests are still served, each
 *   answered with `Connection: close`, while routers take the host out;
 * - `refusing`: the gate is closed, new requests get 503 `draining`.
 */
export type HttpDrainPhase = "serving" | "deregistering" | "refusing";

/** Header on the 503s of a closed gate, so a proxy can tell "not processed, try elsewhere" from an application's own 503. */
export const DRAINING_HEADER = "drainkit-draining";

/**
 * Drains an HTTP server in order. First readiness fails (`draining` turns
 * true, so `/readyz` and load balancers that probe take the host out) while
 * new requests are still served for `deregistrationDelayMs`; every response
 * from then on carries `Connection: close` (HTTP/2 sessions get GOAWAY), so
 * keep-alive connections end after their in-flight request instead of being
 * cut under a request. Then the gate closes: new requests get 503 with
 * Retry-After, `Connection: close` and the `drainkit-draining: true` header;
 * idle keep-alive sockets are closed; requests in flight, streams and SSE
 * included, finish. `inFlight()` is exact: a request counts from its arrival
 * until its response has finished or its connection has closed.
 */
export interface HttpDrainParticipant extends DrainParticipant {
  /** Requests that arrived and whose responses have not finished or been aborted. */
  inFlight(): number;
  /** True from the start of a drain (readiness fails) until `resume()`. */
  readonly draining: boolean;
  /** Where the drain stands (see {@link HttpDrainPhase}). */
  readonly phase: HttpDrainPhase;
  /**
   * Starts a drain: readiness fails now, the gate closes after the
   * deregistration delay (or {@link deregistered}). Resolves once the gate is
   * closed; in-flight requests continue. If `signal` aborts first (a resume),
   * it resolves without closing the gate.
   */
  drain(signal?: AbortSignal): Promise<void>;
  /** Routers acknowledged the host is out: close the gate now instead of waiting out the delay. */
  deregistered(): void;
  /** Resolves once nothing is in flight; rejects with the signal's reason if it aborts first. */
  whenIdle(signal?: AbortSignal): Promise<void>;
  /** Opens the gate again (and cancels a deregistration delay still running). */
  resume(): void;
  /**
   * Called once when a drain starts, so long-lived responses (SSE, watches)
   * can tell their clients to reconnect elsewhere and end.
   */
  onDrain(listener: () => void): () => void;
  /** Puts the server's original request listeners back. */
  detach(): void;
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;
type RequestListener = (req: AnyRequest, res: AnyResponse) => void;

/**
 * Gates `target` (a node server, or anything with a `.server`, such as a
 * Fastify instance). Install it after the server's request handler exists:
 * the handler is wrapped, not replaced.
 *
 * @example
 * const app = Fastify();
 * const participant = createHttpDrainParticipant(app, { deregistrationDelayMs: 5_000 });
 * app.get("/readyz", async (_req, reply) => reply.code(participant.draining ? 503 : 200).send());
 * process.once("SIGTERM", async () => { await participant.drain(); await participant.whenIdle(); await app.close(); });
 */
export function createHttpDrainParticipant(target: GateableServer | { readonly server: GateableServer }, options: HttpDrainParticipantOptions = {}): HttpDrainParticipant {
  // A Fastify instance carries its node server as `.server`; node servers have no such property.
  const server: GateableServer = "server" in target ? target.server : target;
  const name = options.name ?? "http";
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const delayMs = Math.max(0, options.deregistrationDelayMs ?? 3_000);
  const clock = options.clock ?? systemClock();
  const emitter = server as unknown as NodeJS.EventEmitter;
  const originals = emitter.listeners("request") as RequestListener[];
  const sessions = new Set<ServerHttp2Session>();
  const live = new Set<AnyResponse>();
  const drainListeners = new Set<() => void>();
  let phase: HttpDrainPhase = "serving";
  let delay: { timer: TimerHandle | undefined; done: () => void } | undefined;
  let idleWaiters: (() => void)[] = [];
  const idleListeners = new Set<() => void>();

  const closeIdle = (): void => {
    const s = server as HttpServer;
    if (typeof s.closeIdleConnections === "function") s.closeIdleConnections();
  };
  const settle = (): void => {
    if (live.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
    for (const l of [...idleListeners]) l();
  };
  // Tells an HTTP/1.1 client not to reuse the connection once this response ends, so the socket closes after its request, never under one.
  const closeAfter = (res: AnyResponse): void => {
    if (!res.headersSent && (res as ServerResponse).req?.httpVersionMajor === 1) (res as ServerResponse).setHeader("connection", "close");
  };

  const onRequest: RequestListener = (req, res) => {
    if (phase === "refusing") {
      const body = JSON.stringify(problem("draining", "This server is draining and takes no new requests.", { instance: req.url ?? "" }));
      const headers: Record<string, string> = { "content-type": PROBLEM_CONTENT_TYPE, "retry-after": retryAfter, "content-length": String(Buffer.byteLength(body)), [DRAINING_HEADER]: "true" };
      if (req.httpVersionMajor < 2) headers["connection"] = "close";
      (res as ServerResponse).writeHead(503, headers);
      (res as ServerResponse).end(body);
      return;
    }
    live.add(res);
    if (phase === "deregistering") closeAfter(res);
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      live.delete(res);
      // The socket may just have become idle; while refusing nobody else will close it.
      if (phase === "refusing") setImmediate(closeIdle);
      settle();
    };
    res.once("finish", finished);
    res.once("close", finished);
    for (const l of originals) l.call(server, req, res);
  };

  const onSession = (session: ServerHttp2Session): void => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (phase !== "serving") session.close();
  };

  emitter.removeAllListeners("request");
  emitter.on("request", onRequest);
  emitter.on("session", onSession);

  const closeGate = (): void => {
    if (phase !== "deregistering") return;
    phase = "refusing";
    if (delay?.timer !== undefined) clock.clearTimer(delay.timer);
    const finish = delay?.done;
    delay = undefined;
    // Idle keep-alive sockets only now: closing one during the delay could race a request a router still sends on it.
    closeIdle();
    finish?.();
  };

  const startDrain = (signal?: AbortSignal): Promise<void> => {
    if (phase === "refusing") return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      if (phase === "deregistering" && delay !== undefined) {
        const before = delay.done;
        delay.done = () => {
          before();
          resolve();
        };
      } else {
        delay = { timer: undefined, done: resolve };
      }
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    if (phase === "deregistering") return closed;
    phase = "deregistering";
    for (const res of live) closeAfter(res);
    // GOAWAY: clients open no new streams here; streams already open finish.
    for (const s of sessions) {
      if (!s.closed && !s.destroyed) {
        s.goaway(h2.NGHTTP2_NO_ERROR);
        s.close();
      }
    }
    for (const l of [...drainListeners]) {
      try {
        l();
      } catch {
        // A listener failing must not stop the drain.
      }
    }
    if (delayMs === 0) closeGate();
    else if (delay !== undefined) delay.timer = clock.setTimer(delayMs, closeGate);
    return closed;
  };

  return {
    name,
    inFlight: () => live.size,
    get draining() {
      return phase !== "serving";
    },
    get phase() {
      return phase;
    },
    drain(signal) {
      return startDrain(signal);
    },
    deregistered() {
      closeGate();
    },
    onIdle(listener) {
      idleListeners.add(listener);
      return () => void idleListeners.delete(listener);
    },
    whenIdle(signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        if (live.size === 0) return resolve();
        const waiter = (): void => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = (): void => {
          idleWaiters = idleWaiters.filter((w) => w !== waiter);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        idleWaiters.push(waiter);
      });
    },
    resume() {
      if (delay?.timer !== undefined) clock.clearTimer(delay.timer);
      const finish = delay?.done;
      delay = undefined;
      phase = "serving";
      finish?.();
    },
    onDrain(listener) {
      drainListeners.add(listener);
      return () => drainListeners.delete(listener);
    },
    detach() {
      emitter.removeListener("request", onRequest);
      emitter.removeListener("session", onSession);
      for (const l of originals) emitter.on("request", l);
    },
  };
}
