import { describe, expect, it } from "vitest";
import { renderTable } from "../../src/output.ts";
import { drainTable, peerTable } from "../../src/peers/table.ts";
import type { Peer } from "../../src/types.ts";
import { expectFits, WIDTHS } from "../widths.ts";

const NOW = 1_700_000_000_000;

const peer = (i: number, extra: Partial<Peer> & Record<string, unknown> = {}): Peer => ({
  id: `storage-node-${String(i).padStart(4, "0")}.eu-west-1.internal`,
  address: `10.0.${i >> 8}.${i & 255}:8080`,
  pools: ["storage-eu-west-1", "backup"],
  roles: ["storage", "ingest", "processing"],
  labels: { zone: `eu-west-1${"abc"[i % 3]}`, rack: `r${i}`, team: "storage-platform" },
  spec: { cordons: { "alice@example.com": { reason: "disk check", at: NOW - 60_000 } } },
  status: { roles: {}, epoch: 3, inFlight: { http: i % 7, grpc: 1 }, workloads: { owners: 2, children: 4 }, heartbeatAt: NOW - 5000 },
  phase: "active",
  epoch: 3,
  version: 1,
  ...extra,
});

describe("peers table", () => {
  it.each(WIDTHS)("fits %i columns with long names, pools and labels", (width) => {
    const text = renderTable(peerTable(Array.from({ length: 50 }, (_, i) => peer(i)), NOW), { width });
    expectFits(text, width);
    expect(text.split("\n")[0]).toMatch(/^NAME\s+PHASE\s+POOLS\s+IN-FLIGHT\s+WORKLOADS\s+HEARTBEAT\s+VERSION$/);
  });

  it("shows heartbeats as ages ('5s ago', 'just now' for a clock slightly ahead), never 'in 0s'", () => {
    const text = renderTable(peerTable([peer(1), peer(2, { status: { roles: {}, epoch: 0, inFlight: {}, workloads: { owners: 0, children: 0 }, heartbeatAt: NOW + 800 } })], NOW));
    expect(text).toContain("5s ago");
    expect(text).toContain("just now");
    expect(text).not.toMatch(/in 0s/);
  });

  it("shows liveness and the agent's version once the server sends them, '-' before", () => {
    const known = peer(1, { liveness: "unknown", status: { inFlight: {}, workloads: { owners: 0, children: 0 }, heartbeatAt: NOW - 90_000, agentVersion: "2.1.0" } as never });
    const wide = renderTable(peerTable([known, peer(2)], NOW), { wide: true });
    const [, first, second] = wide.split("\n");
    expect(first).toMatch(/unknown \(active\)/);
    expect(first).toContain("2.1.0");
    expect(second).toMatch(/\s3\s+10\.0\.0\.2:8080/);
    // The version is in the narrow view too: a rollout verifies it.
    const narrow = renderTable(peerTable([peer(1, { metadata: { version: "1.4.2" } })], NOW), { width: 200 });
    expect(narrow.split("\n")[1]).toMatch(/\s1\.4\.2$/);
  });
});

describe("drain table", () => {
  it("shows why the drain was asked for, and why it failed or stalls", () => {
    const base = { epoch: 2, roles: ["edge"], remaining: { inFlight: 0, owners: 0, children: 0 } };
    const text = renderTable(
      drainTable([
        { ...base, peer: "a", status: "draining", requestReason: "kernel 6.12" },
        { ...base, peer: "b", status: "failed", reason: "deadline passed", requestReason: "kernel 6.12" },
        { ...base, peer: "c", status: "draining", reason: "no destination in pool web", requestReason: "disk swap" },
        { ...base, peer: "d", status: "none" },
      ]),
    );
    expect(text).toMatch(/^a\s.*kernel 6\.12$/m);
    expect(text).toMatch(/^b\s.*kernel 6\.12; failed: deadline passed$/m);
    expect(text).toMatch(/^c\s.*disk swap; stalled: no destination in pool web$/m);
    expect(text).toMatch(/^d\s.*-$/m);
  });
});
