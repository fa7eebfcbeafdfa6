// @ts-nocheck
import type { Transport } from "./transport.ts";

/** In a browser the page's fetch owns the connections; there is nothing to close. */
export function ownedTransport(): Transport {
  return { fetch: globalThis.fetch.bind(globalThis), close: async () => {} };
}
