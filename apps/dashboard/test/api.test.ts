import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { actionFor, canOperate } from "../src/actions.ts";
import { ProblemError, createControlApi, idempotencyKey } from "../src/api.ts";

describe("the page's requests", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it("sends drainctl's request for each verb: path, reason, ticket, bearer token and a fresh Idempotency-Key", async () => {
    const requests: { url: string; headers: Record<string, unknown>; body: string }[] = [];
    const base = await listen((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        requests.push({ url: req.url!, headers: req.headers, body });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    const api = createControlApi({ baseUrl: base, token: "tok" });
    for (const verb of ["cordon", "drain"] as const) {
      const a = actionFor(verb, "web 1", { reason: " kernel upgrade ", ticket: "CHG-7" });
      await api.mutate(a.path, a.body);
    }
    const pause = actionFor("pause-rollout", "r1", { reason: "", ticket: "" });
    await api.mutate(pause.path, pause.body);
    expect(requests.map((r) => [r.url, JSON.parse(r.body)])).toEqual([
      ["/control/peers/web%201:cordon", { reason: "kernel upgrade", ticket: "CHG-7" }],
      ["/control/peers/web%201:drain", { reason: "kernel upgrade", ticket: "CHG-7" }],
      ["/control/upgrade:pause", { id: "r1" }],
    ]);
    for (const r of requests) {
      expect(r.headers["authorization"]).toBe("Bearer tok");
      expect(r.headers["idempotency-key"]).toMatch(/^dashboard-[0-9a-f]{32}$/);
    }
    expect(new Set(requests.map((r) => r.headers["idempotency-key"])).size).toBe(3);
  });

  it("turns a problem+json refusal into its title and detail", async () => {
    const base = await listen((_req, res) =>
      res.writeHead(409, { "content-type": "application/problem+json" }).end(JSON.stringify({ type: "https://drainkit.dev/problems/pool-depletion", title: "Pool would be depleted", detail: "web keeps 1 of 2", status: 409 })),
    );
    const err = await createControlApi({ baseUrl: base, token: "t" }).mutate("/control/peers/x:drain", { reason: "r" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect(err).toMatchObject({ status: 409, title: "Pool would be depleted", detail: "web keeps 1 of 2", type: "https://drainkit.dev/problems/pool-depletion" });
  });

  it("reads every page of peers and follows from the first page's revision", async () => {
    const base = await listen((req, res) => {
      const page = req.url!.includes("cursor=2") ? { items: [{ id: "c" }], revision: 9 } : { items: [{ id: "a" }, { id: "b" }], nextCursor: "2", revision: 7 };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(page));
    });
    const peers = await createControlApi({ baseUrl: base, token: "t" }).peers();
    expect(peers.items.map((p) => p.id)).toEqual(["a", "b", "c"]);
    expect(peers.revision).toBe(7);
  });

  it("offers actions only to operators, and requires a reason where drainctl does", () => {
    expect(canOperate(["mesh.read"])).toBe(false);
    expect(canOperate(["mesh.agent"])).toBe(false);
    expect(canOperate(["mesh.operate"])).toBe(true);
    expect(canOperate(["mesh.admin"])).toBe(true);
    expect(["cordon", "uncordon", "drain", "resume", "pause-rollout", "resume-rollout"].filter((v) => actionFor(v as never, "x").reasonRequired)).toEqual(["cordon", "drain"]);
    expect(idempotencyKey()).not.toBe(idempotencyKey());
  });
});
