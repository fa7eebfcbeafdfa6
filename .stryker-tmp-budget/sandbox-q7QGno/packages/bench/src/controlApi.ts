// @ts-nocheck
import autocannon from "autocannon";

/**
 * Cordon / uncordon round trips against a drainkit control API with
 * autocannon: each connection flips its own peer (`bench-<n>`, registered
 * beforehand), so the figure is the write path, not contention on one key.
 */
export function cordonRoundTrips(options: {
  url: string;
  /** The bearer token, as `{ authorization: "Bearer …" }`. */
  auth: Readonly<Record<string, string>>;
  connections: number;
  seconds: number;
  peers: number;
}): Promise<autocannon.Result> {
  const headers = { ...options.auth, "content-type": "application/json" };
  let next = 0;
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    setupClient: (client) => {
      const peer = `bench-${next++ % options.peers}`;
      client.setRequests([
        { method: "POST", path: `/control/peers/${peer}:cordon`, headers, body: JSON.stringify({ reason: "bench" }) },
        { method: "POST", path: `/control/peers/${peer}:uncordon`, headers, body: "{}" },
      ]);
    },
  });
}
