// @ts-nocheck
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEtcdStore } from "../src/index.ts";

// A member that accepts connections and never answers: what a client sees of
// etcd without a quorum (requests wait for a raft leader that never comes).
let silent: Server;
const sockets = new Set<Socket>();
let port = 0;

beforeAll(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  port = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe("deadlineMs", () => {
  it("fails an operation that gets no answer with store-unavailable naming the deadline, not after the whole retry budget", async () => {
    // Per attempt 5 s and 8 attempts: without the deadline this would take well over 10 s.
    const store = makeEtcdStore({ hosts: `http://127.0.0.1:${port}`, prefix: "/deadline/", deadlineMs: 300, requestTimeoutMs: 5000 });
    try {
      await expect(store.txn({ compare: [{ key: "a", version: 0 }], ops: [{ type: "put", key: "a", value: 1 }] })).rejects.toMatchObject({
        code: "store-unavailable",
        retryable: true,
        details: { deadlineMs: 300 },
      });
      await expect(store.get("a")).rejects.toMatchObject({ code: "store-unavailable", details: { deadlineMs: 300 } });
    } finally {
      await store.close();
    }
  }, 10_000);

  it("is refused when not positive", () => {
    expect(() => makeEtcdStore({ hosts: "http://127.0.0.1:2379", deadlineMs: 0 })).toThrow(/deadlineMs must be positive/);
  });
});
