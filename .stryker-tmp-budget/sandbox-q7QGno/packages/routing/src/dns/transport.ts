// @ts-nocheck
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import type { Clock } from "@drainkit/core";
import { DnsUpdateError } from "../errors.ts";

/** Where DNS messages go. */
export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** UDP answers up to 512 bytes, enough for an UPDATE reply; TCP for larger. Default "udp". */
  readonly transport?: "udp" | "tcp";
}

/** Sends one message and resolves with the first reply whose id matches. */
export function exchange(server: DnsServer, message: Buffer, clock: Clock, timeoutMs: number): Promise<Buffer> {
  const id = message.readUInt16BE(0);
  return server.transport === "tcp" ? overTcp(server, message, id, clock, timeoutMs) : overUdp(server, message, id, clock, timeoutMs);
}

function timeoutError(server: DnsServer, timeoutMs: number): DnsUpdateError {
  return new DnsUpdateError("timeout", `No answer from ${server.host}:${server.port} within ${timeoutMs} ms; check the server is up and the port is right, then retry.`, {
    details: { host: server.host, port: server.port, timeoutMs },
  });
}

function networkError(server: DnsServer, cause: unknown): DnsUpdateError {
  return new DnsUpdateError("network", `Could not reach ${server.host}:${server.port} (${String((cause as Error)?.message ?? cause)}); retry once it is reachable.`, {
    cause,
    details: { host: server.host, port: server.port },
  });
}

function overUdp(server: DnsServer, message: Buffer, id: number, clock: Clock, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(server.host.includes(":") ? "udp6" : "udp4");
    const finish = (fn: () => void): void => {
      clock.clearTimer(timer);
      socket.close();
      fn();
    };
    const timer = clock.setTimer(timeoutMs, () => finish(() => reject(timeoutError(server, timeoutMs))));
    socket.on("error", (e) => finish(() => reject(networkError(server, e))));
    socket.on("message", (reply) => {
      // A stray or late datagram for another query is not our answer.
      if (reply.length >= 2 && reply.readUInt16BE(0) === id) finish(() => resolve(reply));
    });
    socket.send(message, server.port, server.host);
  });
}

function overTcp(server: DnsServer, message: Buffer, id: number, clock: Clock, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    const finish = (fn: () => void): void => {
      clock.clearTimer(timer);
      socket.destroy();
      fn();
    };
    const timer = clock.setTimer(timeoutMs, () => finish(() => reject(timeoutError(server, timeoutMs))));
    socket.on("error", (e) => finish(() => reject(networkError(server, e))));
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) return;
        const reply = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        if (reply.readUInt16BE(0) === id) {
          finish(() => resolve(reply));
          return;
        }
      }
    });
  });
}
