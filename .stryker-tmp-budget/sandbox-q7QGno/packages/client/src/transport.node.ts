// @ts-nocheck
import { Agent, fetch as undiciFetch } from "undici";
import type { Transport } from "./transport.ts";

/**
 * In Node a client owns its connection pool, so `close()` ends its
 * keep-alive sockets: with the process-wide pool they would linger, and a
 * server shutting down would wait for them until its keep-alive timeout.
 */
export function ownedTransport(): Transport {
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  return {
    fetch: ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
    close: () => agent.close(),
  };
}
