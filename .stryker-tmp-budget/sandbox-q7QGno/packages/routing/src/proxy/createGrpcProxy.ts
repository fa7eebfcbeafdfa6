// @ts-nocheck
import { connect, constants as h2, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { isDrainkitError, noopMetrics, type Metrics } from "@drainkit/core";
import type { Balancer, RouteLease, RouteMember } from "../types.ts";

/** Options of {@link createGrpcProxy}. */
export interface GrpcProxyOptions {
  readonly balancer: Balancer;
  /** The gRPC `host:port` of a member. Default its `address`. */
  readonly addressOf?: (member: RouteMember) => string;
  /** Attempts per call, each on a member not tried yet, for a call refused by a draining server. Default 3. */
  readonly maxAttempts?: number;
  /** Calls whose request body is larger than this are streamed and never retried. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  readonly metrics?: Metrics;
}

/** A gRPC pass-through proxy: attach `handle` to an `http2.createServer()`'s `stream` event. */
export interface GrpcProxy {
  readonly handle: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
  stats(): { readonly calls: number; readonly retries: number; readonly failed: number };
  /** Closes the upstream sessions. */
  close(): void;
}

const PSEUDO_OR_HOP = new Set([":method", ":path", ":scheme", ":authority", ":status", "connection", "keep-alive", "transfer-encoding", "upgrade", "host"]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !PSEUDO_OR_HOP.has(k)) out[k] = v;
  return out;
}

function grpcError(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(h2.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  // Trailers-only response: status and message in the one HEADERS frame.
  stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": percentEncoded(message) }, { endStream: true });
}

const UNAVAILABLE = 14;

// grpc-message is percent-encoded, but only outside printable ASCII and "%" itself (gRPC over HTTP/2 spec).
function percentEncoded(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/**
 * A gRPC pass-through proxy over HTTP/2 (any service, no proto needed): each
 * call goes to a member the balancer picks, frames and trailers relayed as
 * they come. A call refused by a draining server (trailers-only UNAVAILABLE
 * with `drainkit-draining: true`: the server never ran it) or failing to
 * connect before any response is sent again to a member not tried yet; its
 * request body is held for that (up to `maxBufferedBytes`). No member:
 * UNAVAILABLE.
 *
 * @example
 * const grpcProxy = createGrpcProxy({ balancer: router.balancer("edge", { strategy: "round-robin" }), addressOf: (m) => m.labels["grpc"]! });
 * http2.createServer().on("stream", grpcProxy.handle).listen(9090);
 */
export function createGrpcProxy(options: GrpcProxyOptions): GrpcProxy {
  const addressOf = options.addressOf ?? ((m: RouteMember) => m.address);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const maxBuffered = options.maxBufferedBytes ?? 1_048_576;
  const metrics = options.metrics ?? noopMetrics;
  const cCalls = metrics.counter("routing_grpc_proxy_calls_total", "Calls the gRPC proxy relayed, by outcome");
  const cRetries = metrics.counter("routing_grpc_proxy_retries_total", "Calls the gRPC proxy sent again to another member, by reason");
  const sessions = new Map<string, ClientHttp2Session>();
  const stats = { calls: 0, retries: 0, failed: 0 };

  const sessionFor = (address: string): ClientHttp2Session => {
    let s = sessions.get(address);
    if (s === undefined || s.closed || s.destroyed) {
      s = connect(`http://${address}`);
      const mine = s;
      mine.on("error", () => {});
      mine.once("close", () => {
        if (sessions.get(address) === mine) sessions.delete(address);
      });
      // A GOAWAY (a draining server) means: open no new streams here.
      mine.once("goaway", () => {
        if (sessions.get(address) === mine) sessions.delete(address);
      });
      sessions.set(address, s);
    }
    return s;
  };

  const handle = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    stats.calls++;
    const chunks: Buffer[] = [];
    let size = 0;
    let buffering = true;
    let attempt = 0;
    const tried = new Set<string>();

    const send = (): void => {
      attempt++;
      let lease: RouteLease;
      try {
        lease = options.balancer.acquire(undefined, tried.size === 0 ? undefined : (m) => tried.has(m.id));
      } catch (e) {
        stats.failed++;
        cCalls.inc({ outcome: "no-member" });
        grpcError(stream, UNAVAILABLE, isDrainkitError(e) ? e.message : String(e));
        return;
      }
      const { member } = lease;
      tried.add(member.id);
      let released = false;
      const release = (): void => {
        if (!released) {
          released = true;
          lease.release();
        }
      };
      const retry = (reason: string): boolean => {
        if (attempt >= maxAttempts || !buffering || stream.destroyed) return false;
        release();
        stats.retries++;
        cRetries.inc({ reason });
        send();
        return true;
      };
      let upstream;
      try {
        upstream = sessionFor(addressOf(member)).request({ ":method": "POST", ":path": headers[":path"] ?? "/", ...forwardable(headers) }, { endStream: false });
      } catch {
        if (!retry("connect")) {
          release();
          stats.failed++;
          grpcError(stream, UNAVAILABLE, `upstream ${member.id} unreachable`);
        }
        return;
      }
      let responded = false;
      let abandoned = false;
      upstream.on("response", (h) => {
        const draining = h["grpc-status"] === String(UNAVAILABLE) && h["drainkit-draining"] === "true";
        if (draining && retry("draining")) {
          abandoned = true;
          upstream.close();
          return;
        }
        responded = true;
        const trailersOnly = h["grpc-status"] !== undefined;
        const out: OutgoingHttpHeaders = { ":status": h[":status"] ?? 200, ...forwardable(h), "x-drainkit-member": member.id };
        if (trailersOnly) {
          stream.respond(out, { endStream: true });
          return;
        }
        stream.respond(out, { waitForTrailers: true });
        upstream.on("data", (d: Buffer) => stream.write(d));
      });
      let trailers: OutgoingHttpHeaders | undefined;
      upstream.on("trailers", (t) => (trailers = forwardable(t)));
      upstream.on("end", () => {
        if (!responded || stream.destroyed || stream.writableEnded) return;
        // A body with no trailers is a broken call; the client still needs a status.
        stream.once("wantTrailers", () => stream.sendTrailers(trailers ?? { "grpc-status": String(UNAVAILABLE), "grpc-message": "upstream ended without a status" }));
        stream.end();
      });
      upstream.on("close", () => {
        release();
        if (abandoned) return;
        if (responded) {
          cCalls.inc({ outcome: "relayed" });
          return;
        }
        if (stream.headersSent) return;
        // Closed with no response at all: nothing reached the service's handler as far as we can tell.
        if (!retry("connect")) {
          stats.failed++;
          cCalls.inc({ outcome: "failed" });
          grpcError(stream, UNAVAILABLE, `upstream ${member.id} (${addressOf(member)}) closed the call with no answer`);
        }
      });
      upstream.on("error", () => {});
      if (buffering) upstream.end(Buffer.concat(chunks));
      else {
        for (const c of chunks) upstream.write(c);
        stream.pipe(upstream);
      }
      stream.once("close", () => {
        if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL);
      });
    };

    // Unary and small client-streaming calls are held in full so a refused one can be sent again; larger ones stream.
    const onData = (d: Buffer): void => {
      chunks.push(d);
      size += d.length;
      if (size > maxBuffered) {
        buffering = false;
        stream.off("data", onData);
        stream.off("end", onEnd);
        stream.pause();
        send();
      }
    };
    const onEnd = (): void => send();
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.on("error", () => {});
  };

  return {
    handle,
    stats: () => ({ ...stats }),
    close() {
      for (const s of sessions.values()) s.close();
      sessions.clear();
    },
  };
}
