import { describe, expect, it } from "vitest";
import { describeText, type PeerDescription } from "../../src/peers/describe.ts";
import { expectFits, WIDTHS } from "../widths.ts";

const NOW = 1_700_000_000_000;

const d: PeerDescription = {
  peer: {
    id: "web-1",
    address: "10.0.0.1:8080",
    pools: ["web"],
    roles: ["edge", "ingest"],
    labels: { zone: "eu-west-1a", rack: "r7" },
    metadata: { version: "2.0.0" },
    spec: {
      cordons: { "alice@example.com": { reason: "disk check before the kernel upgrade, see the runbook for the whole story", at: NOW - 120_000, expiresAt: NOW + 7_200_000 }, rollout: { reason: "release 2.0.0", at: NOW - 60_000 } },
      drain: { epoch: 3, deadline: NOW + 540_000, reason: "kernel 6.12", roles: ["edge", "ingest"], requestedAt: NOW - 30_000, requestedBy: "bob" },
    },
    status: { roles: {}, epoch: 3, inFlight: { http: 3 }, workloads: { owners: 1, children: 2 }, heartbeatAt: NOW - 4000 },
    phases: { edge: "draining", ingest: "drained" },
    phase: "draining",
    epoch: 3,
    version: 9,
  },
  drain: { peer: "web-1", epoch: 3, status: "draining", deadline: NOW + 540_000, roles: ["edge", "ingest"], remaining: { inFlight: 3, owners: 1, children: 2 }, blocking: ["role:edge", "participant:http"] },
  moves: [
    { id: "t1-db-1", workload: "db-1", tier: "owner", from: "web-1", to: "web-2", state: "serving", plannedBy: "cp-1", createdAt: NOW - 60_000, updatedAt: NOW - 1000, generation: 2 },
  ],
  audit: [
    { seq: 7, id: "a7", at: NOW - 120_000, actor: "alice@example.com", scopes: ["mesh.operate"], action: "cordon", target: "peer/web-1", reason: "disk check", outcome: "ok", latencyMs: 3, prevHash: "x", hash: "y" },
    { seq: 9, id: "a9", at: NOW - 30_000, actor: "bob", scopes: ["mesh.operate"], action: "drain", target: "peer/web-1", reason: "kernel 6.12", outcome: "ok", latencyMs: 4, prevHash: "y", hash: "z" },
  ],
};

describe("peers describe", () => {
  it("shows spec, status, roles, cordons by owner, the drain, moves and recent audit", () => {
    const text = describeText(d, NOW, undefined);
    expect(text).toMatch(/^Name:\s+web-1$/m);
    expect(text).toMatch(/^Version:\s+2\.0\.0$/m);
    expect(text).toMatch(/^Roles:\s+edge, ingest \(drained\)$/m);
    expect(text).toMatch(/^Heartbeat:\s+4s ago$/m);
    expect(text).toMatch(/^\s+alice@example\.com\s+in 2h\s+disk check/m);
    expect(text).toMatch(/^\s+rollout\s+never\s+release 2\.0\.0$/m);
    expect(text).toContain("  draining, epoch 3, deadline in 9m");
    expect(text).toContain("  reason: kernel 6.12");
    expect(text).toContain("  blocking: role:edge participant:http");
    expect(text).toMatch(/t1-db-1\s+db-1\s+owner\s+web-1 → web-2\s+serving/);
    expect(text).toMatch(/30s ago\s+bob\s+drain\s+ok\s+kernel 6\.12/);
  });

  it.each(WIDTHS)("fits %i columns", (width) => {
    expectFits(describeText(d, NOW, width), width);
  });
});
