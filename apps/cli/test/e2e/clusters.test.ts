import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainctl, json, startServer, type Server } from "./harness.ts";

let server: Server;
beforeAll(async () => {
  server = await startServer({ args: ["--cluster", "east:active", "--cluster", "west:backup"] });
});
afterAll(async () => {
  await server?.stop();
});

type Cluster = { id: string; role: string };
const roles = async (): Promise<Record<string, string>> => {
  const list = await drainctl(server, ["clusters", "list", "-o", "json"]);
  expect(list.code).toBe(0);
  const body = json<{ items: Cluster[] } | Cluster[]>(list);
  const items = Array.isArray(body) ? body : body.items;
  return Object.fromEntries(items.map((c) => [c.id, c.role]));
};

describe("drainctl clusters on declared clusters", () => {
  it("promotes a backup, demotes the old active, and never demotes the last active cluster", async () => {
    expect(await roles()).toEqual({ east: "active", west: "backup" });

    const promote = await drainctl(server, ["clusters", "promote", "west", "--reason", "region failover", "--ticket", "INC-7", "--yes"]);
    expect(promote.code, promote.stderr).toBe(0);
    const demote = await drainctl(server, ["clusters", "demote", "east", "--reason", "region failover", "--yes"]);
    expect(demote.code, demote.stderr).toBe(0);
    expect(await roles()).toEqual({ east: "backup", west: "active" });

    const last = await drainctl(server, ["clusters", "demote", "west", "--reason", "oops", "--yes"]);
    expect(last.code).toBe(4);
    expect(last.stderr.toLowerCase()).toContain("active");
    expect(await roles()).toEqual({ east: "backup", west: "active" });

    const audit = await drainctl(server, ["audit", "list", "-o", "json"]);
    const body = json<{ items: { action: string; outcome: string; ticket?: string }[] } | { action: string; outcome: string }[]>(audit);
    const entries = (Array.isArray(body) ? body : body.items).map((e) => `${e.action}:${e.outcome}`);
    expect(entries).toEqual(expect.arrayContaining(["promote:ok", "demote:ok", "demote:refused"]));
  });
});
