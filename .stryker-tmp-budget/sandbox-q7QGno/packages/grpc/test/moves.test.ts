// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import type { MoveChange, WorkloadMove } from "@drainkit/registry";
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { passesWatchFilter } from "../src/controlService.ts";
import { moveFromWire, moveToWire } from "../src/convert.ts";
import { ControlError, controlServiceDefinition, ERROR_CODE_METADATA, type WatchEventsChange } from "../src/index.ts";
import { startTestControlServer, testToken, type TestControlServer } from "../src/testing/index.ts";

let api: TestControlServer;

beforeEach(async () => {
  api = await startTestControlServer();
  const ops = api.client("mesh.operate");
  // node-a is the mesh.agent test token's own peer.
  for (const id of ["node-a", "node-b", "node-c"]) await ops.registerPeer({ id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
});

afterEach(async () => {
  await api.close();
});

/** Resolves once `predicate` holds for the changes seen so far. */
function until(changes: WatchEventsChange[], predicate: (seen: WatchEventsChange[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (predicate(changes) ? resolve() : void setImmediate(check));
    check();
  });
}

const moveStates = (changes: readonly WatchEventsChange[]): string[] =>
  changes.filter((c): c is MoveChange => c.kind === "move").map((c) => `${c.id}:${c.value?.state ?? "pruned"}`);

describe("workload moves over gRPC", () => {
  it("plans, reports, lists with filters and prunes, with the registry's own types", async () => {
    const ops = api.client("mesh.operate");
    const agent = api.client("mesh.agent");
    const planned = await ops.planMove(
      { id: "m-1", workload: "db-1", tier: "child", owner: "db", from: "node-b", to: "node-a", drain: { target: "node-b", epoch: 3 } },
      { reason: "drain of node-b", idempotencyKey: "plan-m-1" },
    );
    expect(planned.value).toEqual({
      id: "m-1", workload: "db-1", tier: "child", owner: "db", from: "node-b", to: "node-a", drain: { target: "node-b", epoch: 3 },
      state: "starting", plannedBy: "operator", createdAt: planned.value.createdAt, updatedAt: planned.value.updatedAt, generation: 1,
    });
    expect(planned).toMatchObject({ changed: true, etag: '"1"' });
    // A balancing move: no drain, no owner; they stay absent rather than empty.
    const balance = await ops.planMove({ id: "m-2", workload: "cache", tier: "owner", from: "node-c", to: "node-b" });
    expect(balance.value).not.toHaveProperty("drain");
    expect(balance.value).not.toHaveProperty("owner");
    expect(balance.value).not.toHaveProperty("reason");

    // The destination's agent reports serving; the move is then the agent's to see, the other one not.
    const serving = await agent.reportMove("m-1", { state: "serving" }, { ifMatch: planned.etag });
    expect(serving).toMatchObject({ changed: true, etag: '"2"', value: { state: "serving", generation: 2 } });
    expect((await agent.listMoves()).map((m) => m.id)).toEqual(["m-1"]);
    expect((await ops.listMoves()).map((m) => m.id)).toEqual(["m-1", "m-2"]);
    expect((await ops.listMoves({ peer: "node-c" })).map((m) => m.id)).toEqual(["m-2"]);
    expect((await ops.listMoves({ state: "serving" })).map((m) => m.id)).toEqual(["m-1"]);
    // `active: false` is sent, not dropped as a default: only ended moves.
    expect(await ops.listMoves({ active: false })).toEqual([]);

    const failed = await ops.reportMove("m-2", { state: "failed", reason: "volume full" }, { ticket: "CHG-7" });
    expect(failed.value).toMatchObject({ state: "failed", reason: "volume full" });
    expect((await ops.listMoves({ active: false })).map((m) => m.id)).toEqual(["m-2"]);
    expect((await ops.listMoves({ active: true })).map((m) => m.id)).toEqual(["m-1"]);
    const audit = await ops.queryAudit({ action: "reportMove", target: "move/m-2" });
    expect(audit.items).toEqual([expect.objectContaining({ actor: "operator", outcome: "ok", reason: "volume full", ticket: "CHG-7" })]);

    const dry = await ops.pruneMoves({ before: Number.MAX_SAFE_INTEGER }, { dryRun: true });
    expect(dry.value).toEqual({ deleted: 1, remaining: 0 });
    expect(await ops.listMoves({ active: false })).toHaveLength(1);
    const pruned = await ops.pruneMoves({ before: Number.MAX_SAFE_INTEGER }, { reason: "retention" });
    expect(pruned).toMatchObject({ changed: true, value: { deleted: 1, remaining: 0 } });
    expect((await ops.listMoves()).map((m) => m.id)).toEqual(["m-1"]);
    expect(await api.registry.verifyAudit()).toMatchObject({ ok: true });
  });

  it("answers the move conflicts with FAILED_PRECONDITION and the drainkit code, as REST answers 409", async () => {
    const ops = api.client("mesh.operate");
    await ops.planMove({ id: "m-1", workload: "db", tier: "owner", from: "node-b", to: "node-a" });
    const plan = await ops.planMove({ id: "m-1", workload: "db", tier: "owner", from: "node-b", to: "node-c" }).catch((e: unknown) => e);
    expect(plan).toBeInstanceOf(ControlError);
    expect(plan).toMatchObject({ code: "move-plan-conflict", grpcCode: grpc.status.FAILED_PRECONDITION, retryable: false, details: { move: "m-1" } });
    await ops.reportMove("m-1", { state: "serving" });
    const arrow = await ops.reportMove("m-1", { state: "failed", reason: "late" }).catch((e: unknown) => e);
    expect(arrow).toMatchObject({ code: "move-state-conflict", grpcCode: grpc.status.FAILED_PRECONDITION, details: { move: "m-1", from: "serving", to: "failed", allowed: ["done"] } });
    expect(await api.client("mesh.agent").reportMove("m-1", { state: "done" }).catch((e: unknown) => e)).toMatchObject({ code: "forbidden", grpcCode: grpc.status.PERMISSION_DENIED });
    expect(await ops.reportMove("ghost", { state: "done" }).catch((e: unknown) => e)).toMatchObject({ code: "not-found", grpcCode: grpc.status.NOT_FOUND });

    // A client that knows nothing of drainkit reads the code from the trailer; an unset `before` is refused, not read as 0.
    const raw = new grpc.Client(api.address, grpc.credentials.createInsecure());
    const def = controlServiceDefinition()["PruneMoves"]!;
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${testToken("mesh.operate")}`);
    const rawError = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest(def.path, def.requestSerialize as (v: object) => Buffer, def.responseDeserialize as (b: Buffer) => object, {}, metadata, (e) => resolve(e!)));
    raw.close();
    expect(rawError.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(rawError.metadata.get(ERROR_CODE_METADATA)).toEqual(["validation"]);
  });

  it("streams move changes through WatchEvents, filtered by peer as REST's feed is", async () => {
    const ops = api.client("mesh.operate");
    const from = (await ops.listPeers()).revision;
    const all: WatchEventsChange[] = [];
    const ofA: WatchEventsChange[] = [];
    const moves: WatchEventsChange[] = [];
    const watches = [
      ops.watchEvents({ fromRevision: from }, (c) => all.push(c)),
      ops.watchEvents({ fromRevision: from, peer: "node-a" }, (c) => ofA.push(c)),
      ops.watchEvents({ fromRevision: from, kinds: ["move"] }, (c) => moves.push(c)),
    ];
    await ops.planMove({ id: "m-1", workload: "db", tier: "owner", from: "node-b", to: "node-a" });
    await ops.planMove({ id: "m-2", workload: "cache", tier: "owner", from: "node-b", to: "node-c" });
    await ops.reportMove("m-2", { state: "failed", reason: "volume full" });
    await ops.cordon("node-c", { reason: "disk" });
    await ops.pruneMoves({ before: Number.MAX_SAFE_INTEGER });
    await until(moves, (s) => s.length === 4);
    await until(all, (s) => s.some((c) => c.kind === "peer" && c.id === "node-c") && moveStates(s).length === 4);
    await until(ofA, (s) => s.some((c) => c.kind === "audit" && (c.value as { action?: string }).action === "pruneMoves"));
    for (const w of watches) w.close();

    expect(moveStates(moves)).toEqual(["m-1:starting", "m-2:starting", "m-2:failed", "m-2:pruned"]);
    expect(moves.every((c) => c.kind === "move")).toBe(true);
    expect(moves.find((c) => c.kind === "move" && c.value?.state === "failed")?.value).toMatchObject({ workload: "cache", from: "node-b", to: "node-c", reason: "volume full" });
    // Everything, moves included, when no kind is named.
    expect(moveStates(all)).toEqual(moveStates(moves));
    // With a peer: its moves only (a pruned move names no peer), other peers' changes left out, other kinds kept.
    expect(moveStates(ofA)).toEqual(["m-1:starting"]);
    expect(ofA.some((c) => c.kind === "peer")).toBe(false);
    expect(ofA.some((c) => c.kind === "audit")).toBe(true);
  });

  it("lets an agent follow only its own peer and shows it only its own moves; unknown kinds are bad input", async () => {
    const ops = api.client("mesh.operate");
    const agent = api.client("mesh.agent");
    const from = (await ops.listPeers()).revision;
    const refused = await new Promise<Error | undefined>((resolve) => agent.watchEvents({ fromRevision: from, peer: "node-b" }, () => {}, resolve));
    expect(refused).toMatchObject({ code: "forbidden", grpcCode: grpc.status.PERMISSION_DENIED });
    expect((await ops.queryAudit({ action: "watchEvents", outcome: "refused" })).items).toEqual([expect.objectContaining({ actor: "node-a", errorCode: "forbidden", target: "events" })]);

    const seen: WatchEventsChange[] = [];
    const watch = agent.watchEvents({ fromRevision: from, kinds: ["move"] }, (c) => seen.push(c));
    await ops.planMove({ id: "m-other", workload: "cache", tier: "owner", from: "node-b", to: "node-c" });
    await ops.planMove({ id: "m-mine", workload: "db", tier: "owner", from: "node-b", to: "node-a" });
    await until(seen, (s) => s.length > 0);
    watch.close();
    expect(moveStates(seen)).toEqual(["m-mine:starting"]);

    for (const kinds of [["rollout"], ["peer", "nonsense"]]) {
      const bad = await new Promise<Error | undefined>((resolve) => ops.watchEvents({ kinds: kinds as never }, () => {}, resolve));
      expect(bad).toMatchObject({ code: "validation", grpcCode: grpc.status.INVALID_ARGUMENT });
    }
  });
});

const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const arbMove: fc.Arbitrary<WorkloadMove> = fc
  .record(
    {
      id, workload: id, tier: fc.constantFrom("owner" as const, "child" as const), owner: id, from: id, to: id,
      drain: fc.record({ target: id, epoch: fc.nat() }), state: fc.constantFrom("starting" as const, "serving" as const, "done" as const, "failed" as const),
      reason: fc.string({ minLength: 1 }), plannedBy: id, createdAt: fc.nat(), updatedAt: fc.nat(), generation: fc.nat(),
    },
    { requiredKeys: ["id", "workload", "tier", "from", "to", "state", "plannedBy", "createdAt", "updatedAt", "generation"] },
  );

describe("move wire format", () => {
  it("round-trips every move through the WorkloadMove message bytes, optional fields absent stay absent", () => {
    const type = controlServiceDefinition()["PlanMove"]!;
    const serialize = type.responseSerialize as (v: object) => Buffer;
    const deserialize = type.responseDeserialize as (b: Buffer) => Record<string, unknown>;
    fc.assert(
      fc.property(arbMove, (move) => {
        const back = deserialize(serialize({ move: moveToWire(move) }));
        expect(moveFromWire(back["move"] as Record<string, unknown>)).toEqual(move);
      }),
      fcParams({ verbose: true }),
    );
  });

  it("filters changes as REST's feed does: peer changes by id, moves by either end, other kinds untouched", () => {
    const change = fc.oneof(
      fc.record({ revision: fc.nat(), kind: fc.constant("move" as const), id, value: fc.option(arbMove, { nil: undefined }) }),
      fc.record({ revision: fc.nat(), kind: fc.constantFrom("peer" as const, "cluster" as const, "config" as const, "audit" as const), id, value: fc.constant(undefined) }),
    );
    const filter = fc.record({ peer: id, movesOf: id }, { requiredKeys: [] });
    fc.assert(
      fc.property(change, filter, (c, f) => {
        const touches = (p: string | undefined): boolean => p === undefined || (c.kind === "move" && c.value !== undefined && (c.value.from === p || c.value.to === p));
        const expected = c.kind === "peer" ? f.peer === undefined || c.id === f.peer : c.kind !== "move" || (touches(f.peer) && touches(f.movesOf));
        expect(passesWatchFilter(c as WatchEventsChange, f)).toBe(expected);
      }),
      fcParams({ verbose: true }),
    );
  });
});
