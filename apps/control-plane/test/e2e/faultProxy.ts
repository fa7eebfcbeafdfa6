import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * What a {@link FaultProxy} does to the traffic between its clients and its target:
 * - `pass`: forwards both ways;
 * - `stall`: holds every byte both ways (a partition: requests hang, nothing
 *   is lost; on `pass` again what was held flows on, like a long delay);
 * - `reset`: closes every connection and each new one at once (a crashed or
 *   firewalled member: connection refused / reset).
 */
export type FaultMode = "pass" | "stall" | "reset";

/** A TCP proxy on 127.0.0.1 in front of one etcd member, whose faults a test switches. */
export interface FaultProxy {
  /** `127.0.0.1:<port>` clients connect to. */
  readonly address: string;
  readonly mode: FaultMode;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`host:port`) in `pass` mode. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  type Pair = { readonly client: Socket; readonly upstream: Socket; readonly held: { to: Socket; chunk: Buffer }[] };
  const pairs = new Set<Pair>();
  let mode: FaultMode = "pass";
  const flush = (pair: Pair): void => {
    for (const { to, chunk } of pair.held.splice(0)) to.write(chunk);
  };
  const apply = (pair: Pair): void => {
    if (mode === "reset") {
      pair.client.destroy();
      pair.upstream.destroy();
    } else if (mode === "pass") {
      flush(pair);
    }
  };
  const server: Server = createServer((client) => {
    if (mode === "reset") {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    const pair: Pair = { client, upstream, held: [] };
    pairs.add(pair);
    // Forwarded by hand (not pipe()), so a stall holds every byte, in order, until it ends.
    const forward = (to: Socket) => (chunk: Buffer): void => {
      if (mode === "pass" && pair.held.length === 0) to.write(chunk);
      else pair.held.push({ to, chunk });
    };
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    address,
    get mode() {
      return mode;
    },
    set(next) {
      mode = next;
      for (const pair of [...pairs]) apply(pair);
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
