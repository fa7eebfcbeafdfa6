import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { constants as h2, type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { DrainParticipant } from "@drainkit/core";
import { problem, PROBLEM_CONTENT_TYPE } from "./problem.ts";

/** Any server the participant can gate: node:http, node:https, node:http2 (plain or secure). */
export type GateableServer = HttpServer | HttpsServer | Http2Server | Http2SecureServer;

/** Settings for {@link createHttpDrainParticipant}. */
export interface HttpDrainParticipantOptions {
  /** Participant name in status reports. Default "http". */
  readonly name?: string;
  /** Seconds sent in Retry-After on the 503s answered while draining. Default 5. */
  readonly retryAfterSeconds?: number;
}

/**
 * Drains an HTTP server: while draining, new requests get 503 with
 * Retry-After (and `Connection: close` on HTTP/1.1, GOAWAY on HTTP/2); idle
 * keep-alive sockets are closed; requests in flight, streams and SSE
 * included, finish. `inFlight()` is exact: a request counts from its arrival
 * until its response has finished or its connection has closed.
 */
export interface HttpDrainParticipant extends DrainParticipant {
  /** Requests that arrived and whose responses have not finished or been aborted. */
  inFlight(): number;
  readonly draining: boolean;
  /** Closes the gate (503 to new requests, GOAWAY, idle sockets closed); in-flight requests continue. */
  drain(signal?: AbortSignal): void;
  /** Resolves once nothing is in flight; rejects with the signal's reason if it aborts first. */
  whenIdle(signal?: AbortSignal): Promise<void>;
  /** Opens the gate again. */
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
 * const participant = createHttpDrainParticipant(app);
 * process.once("SIGTERM", async () => { participant.drain(); await participant.whenIdle(); await app.close(); });
 */
export function createHttpDrainParticipant(target: GateableServer | { readonly server: GateableServer }, options: HttpDrainParticipantOptions = {}): HttpDrainParticipant {
  // A Fastify instance carries its node server as `.server`; node servers have no such property.
  const server: GateableServer = "server" in target ? target.server : target;
  const name = options.name ?? "http";
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const emitter = server as unknown as NodeJS.EventEmitter;
  const originals = emitter.listeners("request") as RequestListener[];
  const sessions = new Set<ServerHttp2Session>();
  const live = new Set<AnyResponse>();
  const drainListeners = new Set<() => void>();
  let draining = false;
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

  const onRequest: RequestListener = (req, res) => {
    if (draining) {
      const body = JSON.stringify(problem("draining", "This server is draining and takes no new requests.", { instance: req.url ?? "" }));
      const headers: Record<string, string> = { "content-type": PROBLEM_CONTENT_TYPE, "retry-after": retryAfter, "content-length": String(Buffer.byteLength(body)) };
      if (req.httpVersionMajor < 2) headers["connection"] = "close";
      (res as ServerResponse).writeHead(503, headers);
      (res as ServerResponse).end(body);
      return;
    }
    live.add(res);
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      live.delete(res);
      // The socket may just have become idle; while draining nobody else will close it.
      if (draining) setImmediate(closeIdle);
      settle();
    };
    res.once("finish", finished);
    res.once("close", finished);
    for (const l of originals) l.call(server, req, res);
  };

  const onSession = (session: ServerHttp2Session): void => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (draining) session.close();
  };

  emitter.removeAllListeners("request");
  emitter.on("request", onRequest);
  emitter.on("session", onSession);

  const startDrain = (): void => {
    if (draining) return;
    draining = true;
    for (const res of live) {
      // Tell HTTP/1.1 clients not to reuse the connection once this response ends.
      if (!res.headersSent && (res as ServerResponse).req?.httpVersionMajor === 1) (res as ServerResponse).setHeader("connection", "close");
    }
    closeIdle();
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
  };

  return {
    name,
    inFlight: () => live.size,
    get draining() {
      return draining;
    },
    drain() {
      startDrain();
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
      draining = false;
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
