import { describe, expect, it } from "vitest";
import { parseListen } from "../src/controlPlane.ts";
import { parsePoolFlag } from "../src/poolFlag.ts";
import { parseStoreUrl } from "../src/storeUrl.ts";

describe("--store and --listen", () => {
  it("parses sqlite and etcd store URLs", () => {
    expect(parseStoreUrl("sqlite:/var/lib/drainkit.db")).toEqual({ kind: "sqlite", path: "/var/lib/drainkit.db" });
    expect(parseStoreUrl("sqlite:./data/x.db")).toMatchObject({ kind: "sqlite", path: expect.stringMatching(/\/data\/x\.db$/) });
    expect(parseStoreUrl("etcd://127.0.0.1:2379")).toEqual({ kind: "etcd", hosts: ["http://127.0.0.1:2379"], prefix: "/drainkit/" });
    expect(parseStoreUrl("etcd://a:2379,b:2379/prod")).toEqual({ kind: "etcd", hosts: ["http://a:2379", "http://b:2379"], prefix: "/prod/" });
  });

  it("rejects what it cannot use, saying what it expects", () => {
    expect(() => parseStoreUrl("postgres://x")).toThrow(/sqlite:<path> or etcd:\/\//);
    expect(() => parseStoreUrl("sqlite:")).toThrow(/needs a file path/);
    expect(() => parseStoreUrl("etcd://nohost")).toThrow(/host:port/);
  });

  it("parses listen addresses, IPv6 included", () => {
    expect(parseListen("127.0.0.1:7400")).toEqual({ host: "127.0.0.1", port: 7400 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(() => parseListen("7400")).toThrow(/host:port/);
  });

  it("parses --pool budgets and names what is wrong", () => {
    expect(parsePoolFlag("web:maxUnavailable=1")).toEqual({ name: "web", maxUnavailable: 1 });
    expect(parsePoolFlag("web/edge:maxUnavailable=25%,minAvailable=2")).toEqual({ name: "web", role: "edge", maxUnavailable: "25%", minAvailable: 2 });
    expect(() => parsePoolFlag("web")).toThrow(/expected <name>/);
    expect(() => parsePoolFlag("web:maxDown=1")).toThrow(/unknown bound "maxDown"/);
    expect(() => parsePoolFlag("web:minAvailable=150%")).toThrow(/count or a percent/);
  });
});
