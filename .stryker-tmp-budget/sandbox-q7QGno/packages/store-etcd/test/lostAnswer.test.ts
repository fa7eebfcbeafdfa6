// @ts-nocheck
import { type Server, type Socket, connect, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEtcdStore } from "../src/index.ts";
import { startEtcd, type EtcdCluster } from "../src/testing/index.ts";

/**
 * A TCP proxy in front of etcd that, once armed, lets the next request
 * through but swallows etcd's answer and then cuts the connection: the txn
 * commits, the client only sees a broken connection and retries.
 */
function lossyProxy(target: URL): Promise<{ url: string; loseNextAnswer(): void; close(): Promise<void> }> {
  let armed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let swallowing = false;
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => {
      if (armed && !swallowing) {
        armed = false;
        swallowing = true;
        // Keep swallowing a while so the whole answer is lost, then cut.
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
        }, 200);
      }
      if (!swallowing) client.write(d);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        loseNextAnswer: () => (armed = true),
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

let etcd: EtcdCluster;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => etcd.stop());

describe("a txn whose answer is lost", () => {
  it("reports its own earlier commit as success, not as a conflict with itself", async () => {
    const proxy = await lossyProxy(new URL(etcd.endpoints[0]!));
    const store = makeEtcdStore({ hosts: proxy.url, prefix: "/lost-answer/", retry: { attempts: 10, baseDelayMs: 20 } });
    try {
      await store.txn({ compare: [], ops: [{ type: "put", key: "warm", value: 0 }] });
      for (let n = 0; n < 5; n++) {
        const before = await store.revision();
        proxy.loseNextAnswer();
        const result = await store.txn({
          compare: [{ key: `peers/${n}`, version: 0 }],
          ops: [{ type: "put", key: `peers/${n}`, value: { n } }, { type: "put", key: `audit/${n}`, value: { n } }],
        });
        expect(result).toEqual({ ok: true, revision: before + 1 });
        expect(await store.get(`peers/${n}`)).toEqual({ key: `peers/${n}`, value: { n }, version: before + 1 });
        expect(await store.revision()).toBe(before + 1);
      }
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
