// @ts-nocheck
import type { AuditQuery, MovePlan, MoveQuery, MoveReport, PeerQuery, PoolInput, Registry, RolloutStartInput, Scope } from "@drainkit/registry";
import { approvalRoutes, PENDING, stageOr } from "./approvalRoutes.ts";
import type { RouteDefinition } from "./routeTypes.ts";
import * as a from "./auditSchemas.ts";
import * as ps from "./poolSchemas.ts";
import * as r from "./routerSchemas.ts";
import * as s from "./schemas.ts";

export type { RouteContext, RouteDefinition, RouteResult } from "./routeTypes.ts";

const READ: readonly Scope[] = ["mesh.read", "mesh.agent", "mesh.operate", "mesh.admin"];
const AGENT: readonly Scope[] = ["mesh.agent", "mesh.operate", "mesh.admin"];
const OPERATE: readonly Scope[] = ["mesh.operate", "mesh.admin"];
const ADMIN: readonly Scope[] = ["mesh.admin"];

const ID = "[A-Za-z0-9._~@-]+";
const peerTarget = (p: Readonly<Record<string, string>>): string => `peer/${p["id"] ?? ""}`;
const clusterTarget = (p: Readonly<Record<string, string>>): string => `cluster/${p["id"] ?? ""}`;
const poolTarget = (p: Readonly<Record<string, string>>): string => `pool/${p["name"] ?? ""}`;

const drop = <T extends Record<string, unknown>>(o: T, ...keys: string[]): T => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k) && v !== undefined) out[k] = v;
  return out as T;
};
// Reason/ticket/dryRun/confirm travel in MutationOptions, not in the domain input.
const COMMON = ["reason", "ticket", "confirm", "dryRun"];

const drainCode = (status: string): number => (status === "draining" ? 202 : 200);

const rolloutTarget = (p: Readonly<Record<string, string>>): string => (p["id"] ? `rollout/${p["id"]}` : "upgrade");
const optionalId = (body: Readonly<Record<string, unknown>>): string | undefined => (typeof body["id"] === "string" ? body["id"] : undefined);
const rolloutCode = (state: string, dryRun: boolean): number => (!dryRun && (state === "running" || state === "aborting") ? 202 : 200);

/** `POST /control/upgrade/drain`'s flat body → the registry's input. */
function rolloutInput(body: Readonly<Record<string, unknown>>): RolloutStartInput {
  const selector = Object.fromEntries(["pool", "role", "label", "nodes"].filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  const settings = Object.fromEntries(["maxParallel", "failureThreshold", "drainTimeoutMs", "healthTimeoutMs", "minHealthyMs", "verify", "awaitVersion"].filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  return {
    version: String(body["version"]),
    selector,
    ...settings,
    reason: String(body["reason"]),
    ...(typeof body["ticket"] === "string" ? { ticket: body["ticket"] } : {}),
  } as RolloutStartInput;
}

/** Every route under /control, in the order the OpenAPI document lists them. */
/** `POST /control/upgrade` resume, pause or abort: the same route but for the verb (`url` is Fastify's, `::` for a literal colon). */
function rolloutVerb(verb: "resume" | "pause" | "abort", url: string, path: string, summary: string, description: string): RouteDefinition {
  const action = `${verb}Rollout` as const;
  return {
    method: "POST", url, path, operationId: `${verb}Upgrade`, summary,
    action, mutation: true, anyOf: OPERATE, target: rolloutTarget,
    schema: { body: s.upgradeVerbBody, headers: s.mutationHeaders },
    responses: { 200: { description, schema: s.rolloutSchema } },
    handle: async ({ registry, principal, body, options }) => ({ kind: "mutation", outcome: await registry[action](principal, optionalId(body), options) }),
  };
}

export const routes: readonly RouteDefinition[] = [
  {
    method: "GET", url: "/control/peers", path: "/control/peers", operationId: "listPeers", summary: "List peers (filter by role, state, label, pool; paged)",
    action: "listPeers", mutation: false, anyOf: READ, target: () => "peers",
    schema: { querystring: s.listPeersQuery },
    responses: { 200: { description: "A page of peers", schema: s.pageSchema(s.peerSchema) } },
    handle: async ({ registry, principal, query }) => ({ kind: "read", body: await registry.listPeers(principal, query as PeerQuery) }),
  },
  {
    method: "GET", url: "/control/peers/:id", path: "/control/peers/{id}", operationId: "getPeer", summary: "One peer, with its ETag",
    action: "getPeer", mutation: false, anyOf: READ, target: peerTarget,
    schema: { params: s.idParams },
    responses: { 200: { description: "The peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params }) => {
      const { peer, etag } = await registry.getPeer(principal, params["id"]!);
      return { kind: "read", body: peer, etag };
    },
  },
  {
    method: "PUT", url: "/control/peers/:id", path: "/control/peers/{id}", operationId: "registerPeer", summary: "Register or refresh a peer's identity (agent)",
    action: "registerPeer", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: s.idParams, body: s.registerBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The registered peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      outcome: await registry.registerPeer(principal, { ...(drop(body, ...COMMON) as object), id: params["id"]! } as Parameters<Registry["registerPeer"]>[1], options),
    }),
  },
  {
    method: "PUT", url: "/control/peers/:id/status", path: "/control/peers/{id}/status", operationId: "reportStatus", summary: "Observed status report (agent)",
    action: "reportStatus", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: s.idParams, body: s.statusBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The peer after the report", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      // `reason` is part of the report itself (why a drain failed), so it stays in the input.
      outcome: await registry.reportStatus(principal, params["id"]!, body as unknown as Parameters<Registry["reportStatus"]>[2], options),
    }),
  },
  {
    method: "POST", url: `/control/peers/:id(^${ID})::cordon`, path: "/control/peers/{id}:cordon", operationId: "cordon", summary: "Cordon: no new placements",
    action: "cordon", mutation: true, anyOf: OPERATE, target: peerTarget,
    schema: { params: s.idParams, body: s.cordonBody, headers: s.mutationHeaders },
    responses: { ...PENDING, 200: { description: "The peer", schema: s.peerSchema } },
    handle: async (ctx) => {
      const { registry, principal, params, body, options } = ctx;
      const input = { ...drop(body, "confirm", "dryRun"), reason: String(body["reason"]) } as Parameters<Registry["cordon"]>[2];
      return stageOr(ctx, { kind: "cordon", peer: params["id"]!, input }, async () => ({ kind: "mutation", outcome: await registry.cordon(principal, params["id"]!, input, options) }));
    },
  },
  {
    method: "POST", url: `/control/peers/:id(^${ID})::uncordon`, path: "/control/peers/{id}:uncordon", operationId: "uncordon", summary: "Remove your cordon (or a named owner's)",
    action: "uncordon", mutation: true, anyOf: OPERATE, target: peerTarget,
    schema: { params: s.idParams, body: s.uncordonBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      outcome: await registry.uncordon(principal, params["id"]!, drop(body, ...COMMON), options),
    }),
  },
  {
    method: "POST", url: `/control/peers/:id(^${ID})::drain`, path: "/control/peers/{id}:drain", operationId: "drain", summary: "Drain: 202 with remaining counts while in progress, 200 when nothing is left",
    action: "drain", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: s.idParams, body: s.drainBody, headers: s.mutationHeaders },
    responses: { ...PENDING, 200: { description: "Drained (nothing to move)", schema: s.drainStatusSchema }, 202: { description: "Draining; remaining counts. Or, with header drainkit-approval-id, the drain waits for approval (the body is the approval)", schema: s.drainStatusSchema } },
    handle: async (ctx) => {
      const { registry, principal, params, body, options } = ctx;
      const input = { ...drop(body, "confirm", "dryRun"), reason: String(body["reason"]) } as Parameters<Registry["drain"]>[2];
      return stageOr(ctx, { kind: "drain", peer: params["id"]!, input }, async () => {
        const outcome = await registry.drain(principal, params["id"]!, input, options);
        return { kind: "mutation", status: drainCode(outcome.value.status), outcome };
      });
    },
  },
  {
    method: "POST", url: `/control/peers/:id(^${ID})::resume`, path: "/control/peers/{id}:resume", operationId: "resume", summary: "Resume: back to active",
    action: "resume", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: s.idParams, body: s.resumeBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      outcome: await registry.resume(principal, params["id"]!, drop(body, "dryRun"), options),
    }),
  },
  {
    method: "PATCH", url: "/control/peers/:id", path: "/control/peers/{id}", operationId: "patchPeer", summary: "Labels / metadata merge patch (If-Match required)",
    action: "patchPeer", mutation: true, anyOf: OPERATE, target: peerTarget,
    schema: { params: s.idParams, body: s.patchPeerBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The patched peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      outcome: await registry.patchPeer(principal, params["id"]!, drop(body, ...COMMON), options),
    }),
  },
  {
    method: "PUT", url: "/control/peers/:id/routers/:router", path: "/control/peers/{id}/routers/{router}", operationId: "registerRouter", summary: "Register a router that sends the peer traffic (router)",
    action: "registerRouter", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: r.routerParams, body: r.routerBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, options }) => ({ kind: "mutation", outcome: await registry.registerRouter(principal, params["id"]!, params["router"]!, options) }),
  },
  {
    method: "POST", url: `/control/peers/:id/routers/:router(^${ID})::ack`, path: "/control/peers/{id}/routers/{router}:ack", operationId: "ackRouter", summary: "The router took the peer out of rotation for a drain epoch (router)",
    action: "ackRouter", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: r.routerParams, body: r.routerAckBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      outcome: await registry.ackRouter(principal, params["id"]!, params["router"]!, { epoch: body["epoch"] as number }, options),
    }),
  },
  {
    method: "POST", url: `/control/peers/:id/routers/:router(^${ID})::release`, path: "/control/peers/{id}/routers/{router}:release", operationId: "releaseRouter", summary: "The router no longer sends the peer traffic (router)",
    action: "releaseRouter", mutation: true, anyOf: AGENT, target: peerTarget,
    schema: { params: r.routerParams, body: r.routerBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The peer", schema: s.peerSchema } },
    handle: async ({ registry, principal, params, options }) => ({ kind: "mutation", outcome: await registry.releaseRouter(principal, params["id"]!, params["router"]!, options) }),
  },
  {
    method: "GET", url: "/control/peers/:id/drain", path: "/control/peers/{id}/drain", operationId: "drainStatus", summary: "Drain status with remaining counts (202 while draining)",
    action: "drainStatus", mutation: false, anyOf: READ, target: peerTarget,
    schema: { params: s.idParams },
    responses: { 200: { description: "Not draining, drained or failed", schema: s.drainStatusSchema }, 202: { description: "Draining", schema: s.drainStatusSchema } },
    handle: async ({ registry, principal, params }) => {
      const status = await registry.drainStatus(principal, params["id"]!);
      return { kind: "read", status: drainCode(status.status), body: status };
    },
  },
  {
    method: "GET", url: "/control/peers/:id/placement", path: "/control/peers/{id}/placement", operationId: "getPlacement",
    summary: "The workloads a peer holds, as its agent last reported them (version 0 when never reported)",
    action: "getPlacement", mutation: false, anyOf: READ, target: peerTarget,
    schema: { params: s.idParams },
    responses: { 200: { description: "The placement", schema: s.placementSchema } },
    handle: async ({ registry, principal, params }) => ({ kind: "read", body: await registry.getPlacement(principal, params["id"]!) }),
  },
  {
    method: "GET", url: "/control/clusters", path: "/control/clusters", operationId: "listClusters", summary: "Clusters and their roles",
    action: "listClusters", mutation: false, anyOf: READ, target: () => "clusters",
    schema: {},
    responses: { 200: { description: "Clusters", schema: { type: "object", properties: { items: { type: "array", items: { type: "object" } } } } } },
    handle: async ({ registry, principal }) => ({ kind: "read", body: { items: await registry.listClusters(principal) } }),
  },
  {
    method: "POST", url: `/control/clusters/:id(^${ID})::promote`, path: "/control/clusters/{id}:promote", operationId: "promote", summary: "Promote a cluster to active",
    action: "promote", mutation: true, anyOf: ADMIN, target: clusterTarget,
    schema: { params: s.idParams, body: s.clusterVerbBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The cluster", schema: { type: "object" } } },
    handle: async ({ registry, principal, params, options }) => ({ kind: "mutation", outcome: await registry.promote(principal, params["id"]!, options) }),
  },
  {
    method: "POST", url: `/control/clusters/:id(^${ID})::demote`, path: "/control/clusters/{id}:demote", operationId: "demote", summary: "Demote a cluster to backup (needs confirm)",
    action: "demote", mutation: true, anyOf: ADMIN, target: clusterTarget,
    schema: { params: s.idParams, body: s.clusterVerbBody, headers: s.mutationHeaders },
    responses: { ...PENDING, 200: { description: "The cluster", schema: { type: "object" } } },
    handle: async (ctx) =>
      stageOr(ctx, { kind: "demote", cluster: ctx.params["id"]! }, async () => ({ kind: "mutation", outcome: await ctx.registry.demote(ctx.principal, ctx.params["id"]!, ctx.options) })),
  },
  {
    method: "GET", url: "/control/config", path: "/control/config", operationId: "getConfig", summary: "Current settings",
    action: "getConfig", mutation: false, anyOf: READ, target: () => "config",
    schema: {},
    responses: { 200: { description: "Settings", schema: { type: "object", properties: { values: { type: "object" }, version: { type: "integer" } } } } },
    handle: async ({ registry, principal }) => {
      const config = await registry.getConfig(principal);
      return { kind: "read", body: config, etag: `"${config.version}"` };
    },
  },
  {
    method: "PATCH", url: "/control/config", path: "/control/config", operationId: "patchConfig", summary: "Change allow-listed settings (mesh.admin, confirm)",
    action: "patchConfig", mutation: true, anyOf: ADMIN, target: () => "config",
    schema: { body: s.patchConfigBody, headers: s.mutationHeaders },
    responses: { ...PENDING, 200: { description: "Settings after the change", schema: { type: "object" } } },
    handle: async (ctx) => {
      const patch = ctx.body["values"] as Record<string, unknown>;
      return stageOr(ctx, { kind: "patchConfig", patch }, async () => ({ kind: "mutation", outcome: await ctx.registry.patchConfig(ctx.principal, patch, ctx.options) }));
    },
  },
  {
    method: "GET", url: "/control/pools", path: "/control/pools", operationId: "listPools", summary: "Pools and their budgets, as every replica enforces them",
    action: "listPools", mutation: false, anyOf: READ, target: () => "pools",
    schema: {},
    responses: { 200: { description: "Pools", schema: { type: "object", required: ["items"], properties: { items: { type: "array", items: ps.poolSchema } } } } },
    handle: async ({ registry, principal }) => ({ kind: "read", body: { items: await registry.listPools(principal) } }),
  },
  {
    method: "GET", url: "/control/pools/:name", path: "/control/pools/{name}", operationId: "getPool", summary: "One pool's budgets, with its ETag",
    action: "getPool", mutation: false, anyOf: READ, target: poolTarget,
    schema: { params: ps.poolParams },
    responses: { 200: { description: "The pool", schema: ps.poolSchema } },
    handle: async ({ registry, principal, params }) => {
      const { pool, etag } = await registry.getPool(principal, params["name"]!);
      return { kind: "read", body: pool, etag };
    },
  },
  {
    method: "PUT", url: "/control/pools/:name", path: "/control/pools/{name}", operationId: "putPool",
    summary: "Declare or replace a pool's budgets (mesh.admin; If-Match honoured, `\"0\"` only while the pool does not exist)",
    action: "putPool", mutation: true, anyOf: ADMIN, target: poolTarget,
    schema: { params: ps.poolParams, body: ps.putPoolBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The pool as stored", schema: ps.poolSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      outcome: await registry.putPool(principal, params["name"]!, drop(body, ...COMMON) as unknown as PoolInput, options),
    }),
  },
  {
    method: "DELETE", url: "/control/pools/:name", path: "/control/pools/{name}", operationId: "deletePool",
    summary: "Remove a pool's budgets (mesh.admin, confirm: its members may then all drain at once)",
    action: "deletePool", mutation: true, anyOf: ADMIN, target: poolTarget,
    schema: { params: ps.poolParams, body: ps.deletePoolBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The pool as it was", schema: ps.poolSchema } },
    handle: async ({ registry, principal, params, options }) => ({ kind: "mutation", outcome: await registry.deletePool(principal, params["name"]!, options) }),
  },
  {
    method: "GET", url: "/control/upgrade", path: "/control/upgrade", operationId: "getUpgrade", summary: "The rolling upgrade (latest, or ?id=): plan, waves, per-node step, counts, ETA, state",
    action: "getUpgrade", mutation: false, anyOf: READ, target: () => "upgrade",
    schema: { querystring: s.upgradeQuery },
    responses: { 200: { description: "The rollout", schema: s.rolloutSchema } },
    handle: async ({ registry, principal, query }) => {
      const rollout = await registry.getRollout(principal, typeof query["id"] === "string" ? query["id"] : undefined);
      return { kind: "read", body: rollout, etag: `"${rollout.generation}"` };
    },
  },
  {
    method: "GET", url: "/control/upgrades", path: "/control/upgrades", operationId: "listUpgrades", summary: "Every rolling upgrade, oldest first",
    action: "listUpgrades", mutation: false, anyOf: READ, target: () => "upgrade",
    schema: {},
    responses: { 200: { description: "Rollouts", schema: { type: "object", properties: { items: { type: "array", items: s.rolloutSchema } } } } },
    handle: async ({ registry, principal }) => ({ kind: "read", body: { items: await registry.listRollouts(principal) } }),
  },
  {
    method: "POST", url: "/control/upgrade/drain", path: "/control/upgrade/drain", operationId: "startUpgrade",
    summary: "Start a rolling upgrade over the selected peers (202); with dryRun, the plan and what blocks each node (200)",
    action: "startRollout", mutation: true, anyOf: OPERATE, target: rolloutTarget,
    schema: { body: s.upgradeStartBody, headers: s.mutationHeaders },
    responses: { 200: { description: "Dry run: the plan (nothing written)", schema: s.rolloutSchema }, 202: { description: "Started; the leader runs it", schema: s.rolloutSchema } },
    handle: async ({ registry, principal, body, options }) => {
      const outcome = await registry.startRollout(principal, rolloutInput(body), options);
      return { kind: "mutation", status: rolloutCode(outcome.value.state, options.dryRun === true), outcome };
    },
  },
  rolloutVerb("resume", "/control/upgrade/resume", "/control/upgrade/resume", "Resume a paused rolling upgrade", "The rollout"),
  rolloutVerb("pause", "/control/upgrade::pause", "/control/upgrade:pause", "Pause a rolling upgrade (steps under way finish)", "The rollout"),
  {
    method: "POST", url: "/control/upgrade::abort", path: "/control/upgrade:abort", operationId: "abortUpgrade", summary: "Abort a rolling upgrade (needs confirm); cordoned nodes not yet draining are resumed",
    action: "abortRollout", mutation: true, anyOf: OPERATE, target: rolloutTarget,
    schema: { body: s.upgradeVerbBody, headers: s.mutationHeaders },
    responses: { ...PENDING, 200: { description: "The rollout (aborting until steps under way finish)", schema: s.rolloutSchema } },
    handle: async (ctx) => {
      const id = optionalId(ctx.body);
      return stageOr(ctx, { kind: "abortRollout", ...(id === undefined ? {} : { rollout: id }) }, async () => ({ kind: "mutation", outcome: await ctx.registry.abortRollout(ctx.principal, id, ctx.options) }));
    },
  },
  {
    method: "GET", url: "/control/moves", path: "/control/moves", operationId: "listMoves", summary: "Workload moves, oldest first (an agent sees only the moves from or to its own peer)",
    action: "listMoves", mutation: false, anyOf: READ, target: () => "moves",
    schema: { querystring: s.listMovesQuery },
    responses: { 200: { description: "Moves", schema: { type: "object", required: ["items"], properties: { items: { type: "array", items: s.moveSchema } } } } },
    handle: async ({ registry, principal, query }) => ({ kind: "read", body: { items: await registry.listMoves(principal, query as MoveQuery) } }),
  },
  {
    method: "POST", url: "/control/moves", path: "/control/moves", operationId: "planMove", summary: "Plan a workload move (the leader): 201 starting; 200 when the same plan already exists",
    action: "planMove", mutation: true, anyOf: OPERATE, target: () => "moves",
    schema: { body: s.movePlanBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The same plan already exists (no-op), or a dry run", schema: s.moveSchema }, 201: { description: "Planned, state starting", schema: s.moveSchema } },
    handle: async ({ registry, principal, body, options }) => {
      const outcome = await registry.planMove(principal, drop(body, ...COMMON) as unknown as MovePlan, options);
      return { kind: "mutation", status: outcome.changed && options.dryRun !== true ? 201 : 200, outcome };
    },
  },
  {
    method: "POST", url: `/control/moves/:id(^${ID})::report`, path: "/control/moves/{id}:report", operationId: "reportMove",
    summary: "Report a move's progress: serving / failed (destination's agent), done (source's agent); 409 move-state-conflict off the legal arrows",
    action: "reportMove", mutation: true, anyOf: AGENT, target: (p) => `move/${p["id"] ?? ""}`,
    schema: { params: s.moveIdParams, body: s.moveReportBody, headers: s.mutationHeaders },
    responses: { 200: { description: "The move", schema: s.moveSchema } },
    handle: async ({ registry, principal, params, body, options }) => ({
      kind: "mutation",
      // `reason` says why a move failed, so it stays in the report (and is the audit reason too).
      outcome: await registry.reportMove(principal, params["id"]!, drop(body, "ticket", "dryRun") as unknown as MoveReport, options),
    }),
  },
  {
    method: "POST", url: "/control/moves::prune", path: "/control/moves:prune", operationId: "pruneMoves", summary: "Delete done and failed moves last written before `before` (at most 25 per call; `remaining` says how many more)",
    action: "pruneMoves", mutation: true, anyOf: OPERATE, target: () => "moves",
    schema: { body: s.movePruneBody, headers: s.mutationHeaders },
    responses: { 200: { description: "How many were deleted and how many more are due", schema: { type: "object", properties: { deleted: { type: "integer" }, remaining: { type: "integer" } } } } },
    handle: async ({ registry, principal, body, options }) => ({ kind: "mutation", outcome: await registry.pruneMoves(principal, { before: Number(body["before"]) }, options) }),
  },
  {
    method: "GET", url: "/control/audit", path: "/control/audit", operationId: "queryAudit", summary: "Audit log (filter, paged)",
    action: "queryAudit", mutation: false, anyOf: READ, target: () => "audit",
    schema: { querystring: a.auditQuery },
    responses: { 200: { description: "A page of audit entries", schema: s.pageSchema({ type: "object" }) } },
    handle: async ({ registry, principal, query }) => ({ kind: "read", body: await registry.queryAudit(principal, query as AuditQuery) }),
  },
  {
    method: "GET", url: "/control/audit/head", path: "/control/audit/head", operationId: "auditHead", summary: "The audit chain's head (seq, hash, time) and the checkpoint of the pruned prefix, if retention pruned one",
    action: "auditHead", mutation: false, anyOf: READ, target: () => "audit",
    schema: {},
    responses: { 200: { description: "The head", schema: a.auditHead } },
    handle: async ({ registry, principal }) => ({ kind: "read", body: await registry.auditHead(principal) }),
  },
  {
    method: "GET", url: "/control/audit/checkpoint", path: "/control/audit/checkpoint", operationId: "auditCheckpoint", summary: "The head as a checkpoint to keep outside the store, signed when the server has a checkpoint key",
    action: "auditCheckpoint", mutation: false, anyOf: READ, target: () => "audit",
    schema: {},
    responses: { 200: { description: "The checkpoint", schema: a.auditCheckpoint } },
    handle: async ({ registry, principal }) => ({ kind: "read", body: await registry.auditCheckpoint(principal) }),
  },
  ...approvalRoutes,
];
