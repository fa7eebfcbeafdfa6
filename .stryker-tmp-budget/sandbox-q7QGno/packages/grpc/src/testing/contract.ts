// @ts-nocheck
import { isDrainkitError } from "@drainkit/core";
import type { PoolBudget, Scope } from "@drainkit/registry";
import { describe, expect, it } from "vitest";

/**
 * One table of control-API behaviour that every transport must show: REST
 * and gRPC run the same cases, so their semantics cannot drift. A case is
 * data: calls (action, caller, input in REST body shape) and what each must
 * answer (ok, or the error code of the REST problem type / gRPC ErrorInfo),
 * and how many audit entries it adds.
 */

/** Control-API actions, named like the registry methods and the REST operationIds. */
export type ContractAction =
  | "listPeers" | "getPeer" | "registerPeer" | "reportStatus" | "cordon" | "uncordon" | "drain" | "resume"
  | "patchPeer" | "drainStatus" | "getPlacement" | "listClusters" | "promote" | "demote" | "getConfig" | "patchConfig" | "queryAudit" | "auditHead" | "auditCheckpoint"
  | "listMoves" | "planMove" | "reportMove" | "pruneMoves";

/** Who calls: a test token of that scope, no token, or a token nobody issued. */
export type ContractCaller = Scope | "anonymous" | "invalid-token";

/** Put as `ifMatch` to send the peer's current ETag (the runner reads it first). */
export const CURRENT_ETAG = "<current>";

/** One call of a case, transport-neutral. */
export interface ContractCall {
  readonly action: ContractAction;
  readonly as: ContractCaller;
  /** Peer, cluster or (for `reportMove`) move id. */
  readonly id?: string;
  /**
   * The REST request body (or query, for lists): the verb's input plus
   * `reason`, `ticket`, `confirm`, `dryRun`. For `patchConfig`: `{ values, confirm }`;
   * for `planMove`, the plan (`id` included); for `reportMove`, `{ state, reason }`.
   */
  readonly input?: Readonly<Record<string, unknown>>;
  readonly idempotencyKey?: string;
  readonly ifMatch?: string;
}

/** What a call answered: ok (with the mutation's flags) or the error code. */
export type ContractResult =
  | { readonly ok: true; readonly changed?: boolean; readonly replayed?: boolean; readonly etag?: string }
  | { readonly ok: false; readonly code: string };

/** A call and what it must answer. */
export interface ContractStep {
  readonly call: ContractCall;
  /** "ok" or the expected error code. */
  readonly expect: string;
  readonly changed?: boolean;
  readonly replayed?: boolean;
  /** Audit entries this step adds (unchecked when omitted). */
  readonly audit?: number;
}

/** A named scenario, run on a fresh server. */
export interface ContractCase {
  readonly name: string;
  /** Calls made as mesh.admin before the steps; each must succeed. */
  readonly setup?: readonly ContractCall[];
  readonly steps: readonly ContractStep[];
}

/** What a transport adapter provides to run the table. */
export interface ContractTarget {
  call(call: ContractCall): Promise<ContractResult>;
  /** Number of audit entries so far (read as an admin; not itself audited). */
  auditCount(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The registry every target must be built on: clusters `east` (active) and
 * `west` (backup); pool `web` keeps 2 nodes available; tokens per scope with
 * the principals of `testPrincipals` (the mesh.agent token is peer `node-a`).
 */
export const contractEnvironment: { readonly pools: readonly PoolBudget[] } = { pools: [{ name: "web", minAvailable: 2 }] };

const peer = (id: string, extra: Record<string, unknown> = {}): ContractCall => ({
  action: "registerPeer", as: "mesh.admin", id, input: { address: `${id}.test:80`, pools: ["web"], roles: ["edge"], ...extra },
});
/** One heartbeat, as the peer's agent sends on start: a peer that never reported is unknown and never available. */
const heartbeat = (id: string): ContractCall => ({ action: "reportStatus", as: "mesh.admin", id, input: { roles: {}, epoch: 0 } });
const live = (id: string): ContractCall[] => [peer(id), heartbeat(id)];
const three = [...live("node-a"), ...live("node-b"), ...live("node-c")];
/** Move `m-1`: workload `db` from node-b to node-a (node-a is the mesh.agent token's peer, so the agent is its destination). */
const plan = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id, workload: "db", tier: "owner", from: "node-b", to: "node-a", ...extra });
/** Far in the future, so every ended move is due for pruning. */
const FAR_FUTURE = 4_102_444_800_000;

/** The shared cases. */
export const contractCases: readonly ContractCase[] = [
  {
    name: "reads need a valid token; refusals at the door are audited",
    steps: [
      { call: { action: "listPeers", as: "anonymous" }, expect: "unauthenticated", audit: 1 },
      { call: { action: "listPeers", as: "invalid-token" }, expect: "unauthenticated", audit: 1 },
      { call: { action: "listPeers", as: "mesh.read" }, expect: "ok", audit: 0 },
      { call: { action: "getConfig", as: "anonymous" }, expect: "unauthenticated", audit: 1 },
    ],
  },
  {
    name: "an agent registers and reports only its own peer",
    setup: [peer("node-b")],
    steps: [
      { call: { action: "registerPeer", as: "mesh.agent", id: "node-a", input: { address: "a:80", pools: ["web"], roles: ["edge"] } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "registerPeer", as: "mesh.agent", id: "node-b", input: { address: "b:80", pools: ["web"], roles: ["edge"] } }, expect: "forbidden", audit: 1 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: { edge: { phase: "active", epoch: 0 } }, epoch: 0 } }, expect: "ok", audit: 0 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-b", input: { roles: { edge: { phase: "active", epoch: 0 } }, epoch: 0 } }, expect: "forbidden", audit: 1 },
      { call: { action: "cordon", as: "mesh.agent", id: "node-a", input: { reason: "self" } }, expect: "forbidden", audit: 1 },
    ],
  },
  {
    name: "an agent reports the workloads it holds; a malformed placement is a validation error",
    setup: [peer("node-a")],
    steps: [
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: {}, epoch: 0, placement: [{ id: "db" }, { id: "db-1", owner: "db" }] } }, expect: "ok", changed: true, audit: 0 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: {}, epoch: 0, placement: [] } }, expect: "ok", audit: 0 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: {}, epoch: 4 } }, expect: "future-epoch", audit: 1 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: {}, epoch: 0, placement: [{ id: "db" }, { id: "db" }] } }, expect: "validation", audit: 1 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: {}, epoch: 0, placement: [{ id: "db", owner: "db" }] } }, expect: "validation", audit: 1 },
      { call: { action: "reportStatus", as: "mesh.agent", id: "node-a", input: { roles: {}, epoch: 0, placement: [{ id: "not an id" }] } }, expect: "validation", audit: 1 },
      { call: { action: "getPlacement", as: "mesh.read", id: "node-a" }, expect: "ok", audit: 0 },
      { call: { action: "getPlacement", as: "mesh.agent", id: "node-a" }, expect: "ok", audit: 0 },
      { call: { action: "getPlacement", as: "mesh.read", id: "ghost" }, expect: "not-found", audit: 0 },
      { call: { action: "getPlacement", as: "anonymous", id: "node-a" }, expect: "unauthenticated", audit: 1 },
    ],
  },
  {
    name: "a reader cannot mutate",
    setup: three,
    steps: [
      { call: { action: "cordon", as: "mesh.read", id: "node-a", input: { reason: "x" } }, expect: "forbidden", audit: 1 },
      { call: { action: "drain", as: "mesh.read", id: "node-a", input: { reason: "x" } }, expect: "forbidden", audit: 1 },
      { call: { action: "getPeer", as: "mesh.read", id: "node-a" }, expect: "ok", audit: 0 },
    ],
  },
  {
    name: "bad input is a validation error",
    setup: three,
    steps: [
      { call: { action: "registerPeer", as: "mesh.operate", id: "node-x", input: { address: "x:80", pools: ["web"], roles: [] } }, expect: "validation", audit: 1 },
      { call: { action: "cordon", as: "mesh.operate", id: "node-a", input: {} }, expect: "validation", audit: 1 },
      { call: { action: "drain", as: "mesh.operate", id: "node-a", input: {} }, expect: "validation", audit: 1 },
    ],
  },
  {
    name: "cordon twice is a no-op, uncordon brings it back",
    setup: three,
    steps: [
      { call: { action: "cordon", as: "mesh.operate", id: "node-a", input: { reason: "kernel" } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "cordon", as: "mesh.operate", id: "node-a", input: { reason: "kernel" } }, expect: "ok", changed: false, audit: 1 },
      { call: { action: "uncordon", as: "mesh.operate", id: "node-a" }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "uncordon", as: "mesh.operate", id: "node-a" }, expect: "ok", changed: false, audit: 1 },
    ],
  },
  {
    name: "unknown peers and clusters are not-found",
    steps: [
      { call: { action: "getPeer", as: "mesh.read", id: "ghost" }, expect: "not-found", audit: 0 },
      { call: { action: "drainStatus", as: "mesh.read", id: "ghost" }, expect: "not-found", audit: 0 },
      { call: { action: "cordon", as: "mesh.operate", id: "ghost", input: { reason: "x" } }, expect: "not-found", audit: 1 },
      { call: { action: "promote", as: "mesh.admin", id: "ghost" }, expect: "not-found", audit: 1 },
    ],
  },
  {
    name: "an idempotency key replays its outcome and refuses another request",
    setup: three,
    steps: [
      { call: { action: "cordon", as: "mesh.operate", id: "node-a", input: { reason: "r1" }, idempotencyKey: "k-1" }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "cordon", as: "mesh.operate", id: "node-a", input: { reason: "r1" }, idempotencyKey: "k-1" }, expect: "ok", replayed: true, audit: 0 },
      { call: { action: "cordon", as: "mesh.operate", id: "node-a", input: { reason: "r2" }, idempotencyKey: "k-1" }, expect: "idempotency-conflict", audit: 1 },
    ],
  },
  {
    name: "drain, drain status, resume; a dry run changes nothing but is audited",
    setup: three,
    steps: [
      { call: { action: "drain", as: "mesh.operate", id: "node-a", input: { reason: "upgrade", dryRun: true } }, expect: "ok", audit: 1 },
      { call: { action: "drain", as: "mesh.operate", id: "node-a", input: { reason: "upgrade", deadlineMs: 60_000 } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "drainStatus", as: "mesh.read", id: "node-a" }, expect: "ok", audit: 0 },
      { call: { action: "resume", as: "mesh.operate", id: "node-a", input: { reason: "done" } }, expect: "ok", changed: true, audit: 1 },
    ],
  },
  {
    name: "a drain that would break the pool budget is refused",
    setup: three,
    steps: [
      { call: { action: "drain", as: "mesh.operate", id: "node-a", input: { reason: "one" } }, expect: "ok", audit: 1 },
      { call: { action: "drain", as: "mesh.operate", id: "node-b", input: { reason: "two" } }, expect: "pool-depletion", audit: 1 },
      { call: { action: "drain", as: "mesh.operate", id: "node-b", input: { reason: "two", force: true } }, expect: "forbidden", audit: 1 },
    ],
  },
  {
    name: "patching a peer needs its current ETag",
    setup: three,
    steps: [
      { call: { action: "patchPeer", as: "mesh.operate", id: "node-a", input: { labels: { zone: "a" } } }, expect: "precondition-required", audit: 1 },
      { call: { action: "patchPeer", as: "mesh.operate", id: "node-a", input: { labels: { zone: "a" } }, ifMatch: '"999"' }, expect: "etag-mismatch", audit: 1 },
      { call: { action: "patchPeer", as: "mesh.operate", id: "node-a", input: { labels: { zone: "a" } }, ifMatch: CURRENT_ETAG }, expect: "ok", changed: true, audit: 1 },
    ],
  },
  {
    name: "promote and demote: admin only, confirmation, never the last active cluster",
    steps: [
      { call: { action: "listClusters", as: "mesh.read" }, expect: "ok", audit: 0 },
      { call: { action: "promote", as: "mesh.operate", id: "west" }, expect: "forbidden", audit: 1 },
      { call: { action: "demote", as: "mesh.admin", id: "east", input: { confirm: true } }, expect: "validation", audit: 1 },
      { call: { action: "demote", as: "mesh.admin", id: "east", input: { reason: "dr test" } }, expect: "confirmation-required", audit: 1 },
      { call: { action: "demote", as: "mesh.admin", id: "east", input: { reason: "dr test", confirm: true } }, expect: "last-active-cluster", audit: 1 },
      { call: { action: "promote", as: "mesh.admin", id: "west", input: { reason: "dr test" } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "demote", as: "mesh.admin", id: "east", input: { reason: "dr test", confirm: true } }, expect: "ok", changed: true, audit: 1 },
    ],
  },
  {
    name: "config: read by readers, changed by admins with confirmation, allow-listed keys only",
    steps: [
      { call: { action: "getConfig", as: "mesh.read" }, expect: "ok", audit: 0 },
      { call: { action: "patchConfig", as: "mesh.operate", input: { values: { "rollout.maxParallel": 2 }, confirm: true } }, expect: "forbidden", audit: 1 },
      { call: { action: "patchConfig", as: "mesh.admin", input: { values: { "rollout.maxParallel": 2 } } }, expect: "confirmation-required", audit: 1 },
      { call: { action: "patchConfig", as: "mesh.admin", input: { values: { "no.such.key": 1 }, confirm: true } }, expect: "validation", audit: 1 },
      { call: { action: "patchConfig", as: "mesh.admin", input: { values: { "rollout.maxParallel": 2 }, confirm: true, reason: "faster" } }, expect: "ok", changed: true, audit: 1 },
    ],
  },
  {
    name: "moves: the leader plans, each agent reports only its own side, the state machine refuses other arrows",
    setup: three,
    steps: [
      { call: { action: "planMove", as: "mesh.agent", input: plan("m-1") }, expect: "forbidden", audit: 1 },
      { call: { action: "planMove", as: "mesh.operate", input: plan("m-1", { reason: "drain of node-b" }) }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "planMove", as: "mesh.operate", input: plan("m-1", { reason: "drain of node-b" }) }, expect: "ok", changed: false, audit: 1 },
      { call: { action: "planMove", as: "mesh.operate", input: plan("m-1", { to: "node-c" }) }, expect: "move-plan-conflict", audit: 1 },
      { call: { action: "planMove", as: "mesh.operate", input: plan("m-2", { to: "ghost" }) }, expect: "not-found", audit: 1 },
      { call: { action: "planMove", as: "mesh.operate", input: plan("m-3", { tier: "child" }) }, expect: "validation", audit: 1 },
      { call: { action: "listMoves", as: "mesh.read", input: { peer: "node-a", active: true } }, expect: "ok", audit: 0 },
      { call: { action: "listMoves", as: "mesh.agent" }, expect: "ok", audit: 0 },
      { call: { action: "listMoves", as: "mesh.read", input: { state: "stuck" } }, expect: "validation", audit: 0 },
      { call: { action: "listMoves", as: "anonymous" }, expect: "unauthenticated", audit: 1 },
      { call: { action: "reportMove", as: "mesh.agent", id: "m-1", input: { state: "done" } }, expect: "forbidden", audit: 1 },
      { call: { action: "reportMove", as: "mesh.agent", id: "m-1", input: { state: "serving" } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "reportMove", as: "mesh.agent", id: "m-1", input: { state: "serving" } }, expect: "ok", changed: false, audit: 1 },
      { call: { action: "reportMove", as: "mesh.agent", id: "m-1", input: { state: "failed", reason: "volume full" } }, expect: "move-state-conflict", audit: 1 },
      { call: { action: "reportMove", as: "mesh.operate", id: "m-1", input: { state: "done" } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "reportMove", as: "mesh.operate", id: "ghost", input: { state: "serving" } }, expect: "not-found", audit: 1 },
      { call: { action: "reportMove", as: "mesh.read", id: "m-1", input: { state: "done" } }, expect: "forbidden", audit: 1 },
    ],
  },
  {
    name: "moves: a failure needs its reason, a stale ETag is refused, a key replays, ended moves are pruned",
    setup: [...three, { action: "planMove", as: "mesh.admin", input: plan("m-1") }],
    steps: [
      { call: { action: "reportMove", as: "mesh.operate", id: "m-1", input: { state: "failed" } }, expect: "validation", audit: 1 },
      { call: { action: "reportMove", as: "mesh.operate", id: "m-1", input: { state: "failed", reason: "volume full" }, ifMatch: '"9"' }, expect: "etag-mismatch", audit: 1 },
      { call: { action: "reportMove", as: "mesh.operate", id: "m-1", input: { state: "failed", reason: "volume full", ticket: "CHG-7" }, ifMatch: '"1"', idempotencyKey: "k-m1" }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "reportMove", as: "mesh.operate", id: "m-1", input: { state: "failed", reason: "volume full", ticket: "CHG-7" }, ifMatch: '"1"', idempotencyKey: "k-m1" }, expect: "ok", replayed: true, audit: 0 },
      { call: { action: "pruneMoves", as: "mesh.read", input: { before: FAR_FUTURE } }, expect: "forbidden", audit: 1 },
      { call: { action: "pruneMoves", as: "mesh.operate", input: {} }, expect: "validation", audit: 1 },
      { call: { action: "pruneMoves", as: "mesh.operate", input: { before: FAR_FUTURE, dryRun: true } }, expect: "ok", audit: 1 },
      { call: { action: "pruneMoves", as: "mesh.operate", input: { before: FAR_FUTURE, reason: "retention" } }, expect: "ok", changed: true, audit: 1 },
      { call: { action: "pruneMoves", as: "mesh.operate", input: { before: FAR_FUTURE } }, expect: "ok", changed: false, audit: 1 },
      { call: { action: "reportMove", as: "mesh.operate", id: "m-1", input: { state: "done" } }, expect: "not-found", audit: 1 },
    ],
  },
  {
    name: "the audit log is readable and counts every attempt",
    setup: three,
    steps: [
      { call: { action: "queryAudit", as: "mesh.read" }, expect: "ok", audit: 0 },
      { call: { action: "queryAudit", as: "anonymous" }, expect: "unauthenticated", audit: 1 },
      { call: { action: "queryAudit", as: "mesh.read", input: { from: 2_000, to: 1_000 } }, expect: "validation", audit: 0 },
      { call: { action: "auditHead", as: "mesh.read" }, expect: "ok", audit: 0 },
      { call: { action: "auditCheckpoint", as: "mesh.read" }, expect: "ok", audit: 0 },
      { call: { action: "auditHead", as: "anonymous" }, expect: "unauthenticated", audit: 1 },
    ],
  },
];

/**
 * Runs {@link contractCases} against one transport. `makeTarget` builds a
 * fresh server (on {@link contractEnvironment}) and a way to call it.
 *
 * @example
 * runControlContract("grpc", () => grpcContractTarget());
 */
export function runControlContract(name: string, makeTarget: () => Promise<ContractTarget>, options: { timeout?: number } = {}): void {
  describe(`control API contract: ${name}`, () => {
    for (const c of contractCases) {
      it(c.name, async () => {
        const target = await makeTarget();
        try {
          for (const call of c.setup ?? []) {
            const r = await target.call(call);
            expect(r, `setup ${call.action} ${call.id ?? ""}`).toMatchObject({ ok: true });
          }
          for (const [i, step] of c.steps.entries()) {
            const label = `step ${i + 1}: ${step.call.action} as ${step.call.as}`;
            let call = step.call;
            if (call.ifMatch === CURRENT_ETAG) {
              const read = await target.call({ action: "getPeer", as: "mesh.read", id: call.id ?? "" });
              call = { ...call, ifMatch: read.ok ? (read.etag ?? "") : "" };
            }
            const before = await target.auditCount();
            const result = await target.call(call);
            expect(result.ok ? "ok" : result.code, label).toBe(step.expect);
            if (result.ok && step.changed !== undefined) expect(result.changed, `${label} changed`).toBe(step.changed);
            if (result.ok && step.replayed !== undefined) expect(result.replayed === true, `${label} replayed`).toBe(step.replayed);
            if (step.audit !== undefined) expect((await target.auditCount()) - before, `${label} audit entries`).toBe(step.audit);
          }
        } finally {
          await target.close();
        }
      }, options.timeout ?? 30_000);
    }
  });
}

/** Turns a thrown error into a contract result (for adapters written around a client that throws). */
export function resultOfError(error: unknown): ContractResult {
  if (isDrainkitError(error)) return { ok: false, code: error.code };
  throw error;
}
