// @ts-nocheck
import type * as grpc from "@grpc/grpc-js";
import { isDrainkitError, silentLogger, type Logger } from "@drainkit/core";
import {
  hasScope,
  passesWatchFilter,
  ForbiddenError,
  UnauthenticatedError,
  ValidationError,
  type AuditQuery,
  type MoveChange,
  type MovePlan,
  type MoveQuery,
  type MoveReport,
  type MutationOptions,
  type PeerQuery,
  type Principal,
  type Registry,
  type PlacedWorkload,
  type PlacementChange, type ApprovalChange,
  type RegistryChange,
  type Rollout,
  type RolloutChange,
  type RolloutStartInput,
  type Scope,
} from "@drainkit/registry";
import { changeToWire, configToWire, moveToWire, optionsFromWire, outcomeToWire, peerPlacementToWire, peerToWire, placementFromWire, type WatchEventsChange, type Wire } from "./convert.ts";
import { approvalToWire, stagedToWire } from "./approvalWire.ts";
import { toServiceError } from "./errors.ts";
import { poolInputFromWire, poolToWire } from "./poolWire.ts";
import { controlServiceDefinition } from "./proto.ts";
import { fromStruct, toStruct, type WireStruct } from "./struct.ts";

/**
 * Resolves the bearer token of a call (undefined when none was sent) to a
 * principal. Return undefined, or throw `UnauthenticatedError`, for a token
 * that is not valid; any other drainkit error (a store outage) passes through
 * with its own code.
 */
export type Authenticate = (token: string | undefined) => Promise<Principal | undefined>;

/** Options of {@link addControlService}. */
export interface ControlServiceOptions {
  readonly registry: Registry;
  readonly authenticate: Authenticate;
  readonly logger?: Logger;
}

/** One RPC of the control service: who may call it, what it audits, what it does. */
interface RpcDefinition {
  /** Audit action, the same name REST records. */
  readonly action: string;
  /** Any one of these scopes gets a call through the door; the registry applies its finer rules. */
  readonly anyOf: readonly Scope[];
  readonly target: (request: Wire) => string;
  readonly handle: (ctx: { registry: Registry; principal: Principal; request: Wire; options: MutationOptions }) => Promise<Wire>;
}

/** A report's placement, when it carries one (an unset `Placement` message means not reported). */
function placementOf(request: Wire): { placement?: PlacedWorkload[] } {
  const placement = placementFromWire(request["placement"]);
  return placement === undefined ? {} : { placement };
}

const READ: readonly Scope[] = ["mesh.read", "mesh.agent", "mesh.operate", "mesh.admin"];
const AGENT: readonly Scope[] = ["mesh.agent", "mesh.operate", "mesh.admin"];
const OPERATE: readonly Scope[] = ["mesh.operate", "mesh.admin"];
const ADMIN: readonly Scope[] = ["mesh.admin"];

const idOf = (r: Wire): string => (typeof r["id"] === "string" ? r["id"] : "");
const peerTarget = (r: Wire): string => `peer/${idOf(r)}`;
const clusterTarget = (r: Wire): string => `cluster/${idOf(r)}`;

/** Copies the listed keys that are set (proto3 `optional` fields arrive as undefined when absent). */
function pick(r: Wire, ...keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r[k] !== undefined && r[k] !== null) out[k] = r[k];
  return out;
}

/** REST sends `reason` once, in the body, and it is both the verb's input and the audit reason. */
function withReason(options: MutationOptions, reason: unknown): MutationOptions {
  return typeof reason === "string" && reason !== "" && options.reason === undefined ? { ...options, reason } : options;
}

const peerOutcome = (o: Awaited<ReturnType<Registry["cordon"]>>): Wire => ({ peer: peerToWire(o.value), outcome: outcomeToWire(o) });

const rolloutToWire = (r: Rollout): Wire => ({ id: r.id, version: r.version, state: r.state, warnings: [...(r.warnings ?? [])], body: toStruct(r as unknown as Record<string, unknown>) });

/** `StartRolloutRequest` → the registry's input, as REST's flat body maps to it. */
function rolloutInputOf(r: Wire): RolloutStartInput {
  const nodes = Array.isArray(r["nodes"]) && r["nodes"].length > 0 ? { nodes: r["nodes"] as string[] } : {};
  return {
    version: typeof r["version"] === "string" ? r["version"] : "",
    selector: { ...pick(r, "pool", "role", "label"), ...nodes },
    ...pick(r, "maxParallel", "failureThreshold", "drainTimeoutMs", "healthTimeoutMs", "minHealthyMs", "verify"),
    reason: typeof r["reason"] === "string" ? r["reason"] : "",
    ...pick(r, "ticket"),
  } as RolloutStartInput;
}
const moveOutcome = (o: Awaited<ReturnType<Registry["planMove"]>>): Wire => ({ move: moveToWire(o.value), outcome: outcomeToWire(o) });

/** The plan exactly as REST hands it to the registry (the body minus reason, ticket, confirm, dryRun), so idempotency keys match across transports. */
function movePlanOf(request: Wire): MovePlan {
  const drain = request["drain"] as Wire | null | undefined;
  return {
    ...pick(request, "id", "workload", "tier", "owner", "from", "to"),
    ...(drain === null || drain === undefined ? {} : { drain: { target: drain["target"], epoch: drain["epoch"] } }),
  } as unknown as MovePlan;
}

/** Every unary RPC, keyed by its method name in control.proto. */
const unaryRpcs: Readonly<Record<string, RpcDefinition>> = {
  ListPeers: {
    action: "listPeers", anyOf: READ, target: () => "peers",
    handle: async ({ registry, principal, request }) => {
      const page = await registry.listPeers(principal, pick(request, "role", "state", "label", "pool", "limit", "cursor") as PeerQuery);
      return { items: page.items.map(peerToWire), revision: page.revision, ...pick(page as unknown as Wire, "nextCursor") };
    },
  },
  GetPeer: {
    action: "getPeer", anyOf: READ, target: peerTarget,
    handle: async ({ registry, principal, request }) => {
      const { peer, etag } = await registry.getPeer(principal, idOf(request));
      return { peer: peerToWire(peer), etag };
    },
  },
  RegisterPeer: {
    action: "registerPeer", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) =>
      peerOutcome(await registry.registerPeer(principal, {
        id: idOf(request),
        address: request["address"] as string,
        pools: request["pools"] as string[],
        roles: request["roles"] as string[],
        labels: (request["labels"] ?? {}) as Record<string, string>,
        metadata: fromStruct(request["metadata"] as WireStruct | null),
      }, options)),
  },
  ReportStatus: {
    action: "reportStatus", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) =>
      peerOutcome(await registry.reportStatus(principal, idOf(request), {
        roles: (request["roles"] ?? {}) as Record<string, { phase: never; epoch: number }>,
        inFlight: (request["inFlight"] ?? {}) as Record<string, number>,
        ...pick(request, "workloads", "reason"),
        ...placementOf(request),
        epoch: request["epoch"] as number,
      }, options)),
  },
  Cordon: {
    action: "cordon", anyOf: OPERATE, target: peerTarget,
    handle: async ({ registry, principal, request, options }) => {
      const input = { ...pick(request, "owner", "ticket", "expiresAt"), ...(request["force"] === true ? { force: true } : {}), reason: request["reason"] as string };
      const opts = withReason(options, request["reason"]);
      const staged = await registry.stageIfRequired(principal, { kind: "cordon", peer: idOf(request), input }, opts);
      if (staged !== undefined) return { ...stagedToWire(staged, outcomeToWire), peer: peerToWire((await registry.getPeer(principal, idOf(request))).peer) };
      return peerOutcome(await registry.cordon(principal, idOf(request), input, opts));
    },
  },
  Uncordon: {
    action: "uncordon", anyOf: OPERATE, target: peerTarget,
    handle: async ({ registry, principal, request, options }) => peerOutcome(await registry.uncordon(principal, idOf(request), pick(request, "owner"), options)),
  },
  Drain: {
    action: "drain", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) => {
      const roles = request["roles"] as string[];
      const input = {
        ...pick(request, "deadlineMs", "deadline", "ticket"),
        ...(roles.length > 0 ? { roles } : {}),
        ...(request["force"] === true ? { force: true } : {}),
        reason: request["reason"] as string,
      };
      const opts = withReason(options, request["reason"]);
      const staged = await registry.stageIfRequired(principal, { kind: "drain", peer: idOf(request), input }, opts);
      if (staged !== undefined) return { ...stagedToWire(staged, outcomeToWire), status: await registry.drainStatus(principal, idOf(request)) };
      const outcome = await registry.drain(principal, idOf(request), input, opts);
      return { status: outcome.value, outcome: outcomeToWire(outcome) };
    },
  },
  Resume: {
    action: "resume", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) =>
      peerOutcome(await registry.resume(principal, idOf(request), {
        ...(options.reason === undefined ? {} : { reason: options.reason }),
        ...(options.ticket === undefined ? {} : { ticket: options.ticket }),
      }, options)),
  },
  PatchPeer: {
    action: "patchPeer", anyOf: OPERATE, target: peerTarget,
    handle: async ({ registry, principal, request, options }) => {
      const patch: Record<string, unknown> = {};
      if (request["labels"] !== null && request["labels"] !== undefined) patch["labels"] = fromStruct(request["labels"] as WireStruct);
      if (request["metadata"] !== null && request["metadata"] !== undefined) patch["metadata"] = fromStruct(request["metadata"] as WireStruct);
      return peerOutcome(await registry.patchPeer(principal, idOf(request), patch, options));
    },
  },
  RegisterRouter: {
    action: "registerRouter", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) => peerOutcome(await registry.registerRouter(principal, idOf(request), request["router"] as string, options)),
  },
  AckRouter: {
    action: "ackRouter", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) =>
      peerOutcome(await registry.ackRouter(principal, idOf(request), request["router"] as string, { epoch: request["epoch"] as number }, options)),
  },
  ReleaseRouter: {
    action: "releaseRouter", anyOf: AGENT, target: peerTarget,
    handle: async ({ registry, principal, request, options }) => peerOutcome(await registry.releaseRouter(principal, idOf(request), request["router"] as string, options)),
  },
  GetDrainStatus: {
    action: "drainStatus", anyOf: READ, target: peerTarget,
    handle: async ({ registry, principal, request }) => ({ ...(await registry.drainStatus(principal, idOf(request))) }),
  },
  GetPlacement: {
    action: "getPlacement", anyOf: READ, target: peerTarget,
    handle: async ({ registry, principal, request }) => peerPlacementToWire(await registry.getPlacement(principal, idOf(request))),
  },
  ListClusters: {
    action: "listClusters", anyOf: READ, target: () => "clusters",
    handle: async ({ registry, principal }) => ({ items: await registry.listClusters(principal) }),
  },
  Promote: {
    action: "promote", anyOf: ADMIN, target: clusterTarget,
    handle: async ({ registry, principal, request, options }) => {
      const o = await registry.promote(principal, idOf(request), options);
      return { cluster: o.value, outcome: outcomeToWire(o) };
    },
  },
  Demote: {
    action: "demote", anyOf: ADMIN, target: clusterTarget,
    handle: async ({ registry, principal, request, options }) => {
      const staged = await registry.stageIfRequired(principal, { kind: "demote", cluster: idOf(request) }, options);
      if (staged !== undefined) return { ...stagedToWire(staged, outcomeToWire), cluster: (await registry.listClusters(principal)).find((c) => c.id === idOf(request)) };
      const o = await registry.demote(principal, idOf(request), options);
      return { cluster: o.value, outcome: outcomeToWire(o) };
    },
  },
  GetConfig: {
    action: "getConfig", anyOf: READ, target: () => "config",
    handle: async ({ registry, principal }) => configToWire(await registry.getConfig(principal)),
  },
  PatchConfig: {
    action: "patchConfig", anyOf: ADMIN, target: () => "config",
    handle: async ({ registry, principal, request, options }) => {
      const patch = fromStruct(request["values"] as WireStruct | null);
      const staged = await registry.stageIfRequired(principal, { kind: "patchConfig", patch }, options);
      if (staged !== undefined) return { ...stagedToWire(staged, outcomeToWire), config: configToWire(await registry.getConfig(principal)) };
      const o = await registry.patchConfig(principal, patch, options);
      return { config: configToWire(o.value), outcome: outcomeToWire(o) };
    },
  },
  StartRollout: {
    action: "startRollout", anyOf: OPERATE, target: () => "upgrade",
    handle: async ({ registry, principal, request, options }) => {
      const o = await registry.startRollout(principal, rolloutInputOf(request), withReason(options, request["reason"]));
      return { rollout: rolloutToWire(o.value), outcome: outcomeToWire(o) };
    },
  },
  GetRollout: {
    action: "getRollout", anyOf: READ, target: (r) => (idOf(r) === "" ? "upgrade" : `rollout/${idOf(r)}`),
    handle: async ({ registry, principal, request }) => rolloutToWire(await registry.getRollout(principal, idOf(request) === "" ? undefined : idOf(request))),
  },
  ListApprovals: {
    action: "listApprovals", anyOf: READ, target: () => "approvals",
    handle: async ({ registry, principal, request }) => ({ items: (await registry.listApprovals(principal, pick(request, "state"))).map((a) => approvalToWire(a)) }),
  },
  GetApproval: {
    action: "getApproval", anyOf: READ, target: (r) => `approval/${idOf(r)}`,
    handle: async ({ registry, principal, request }) => approvalToWire(await registry.getApproval(principal, idOf(request))),
  },
  ApproveChange: {
    action: "approveChange", anyOf: OPERATE, target: (r) => `approval/${idOf(r)}`,
    handle: async ({ registry, principal, request, options }) => {
      const o = await registry.approveChange(principal, idOf(request), withReason(options, request["reason"]));
      return { approval: approvalToWire(o.value), outcome: outcomeToWire(o) };
    },
  },
  RejectChange: {
    action: "rejectChange", anyOf: OPERATE, target: (r) => `approval/${idOf(r)}`,
    handle: async ({ registry, principal, request, options }) => {
      const o = await registry.rejectChange(principal, idOf(request), withReason(options, request["reason"]));
      return { approval: approvalToWire(o.value), outcome: outcomeToWire(o) };
    },
  },
  ListPools: {
    action: "listPools", anyOf: READ, target: () => "pools",
    handle: async ({ registry, principal }) => ({ items: (await registry.listPools(principal)).map(poolToWire) }),
  },
  GetPool: {
    action: "getPool", anyOf: READ, target: (r) => `pool/${String(r["name"] ?? "")}`,
    handle: async ({ registry, principal, request }) => poolToWire((await registry.getPool(principal, String(request["name"] ?? ""))).pool),
  },
  PutPool: {
    action: "putPool", anyOf: ADMIN, target: (r) => `pool/${String(r["name"] ?? "")}`,
    handle: async ({ registry, principal, request, options }) => {
      const o = await registry.putPool(principal, String(request["name"] ?? ""), poolInputFromWire(request), options);
      return { pool: poolToWire(o.value), outcome: outcomeToWire(o) };
    },
  },
  DeletePool: {
    action: "deletePool", anyOf: ADMIN, target: (r) => `pool/${String(r["name"] ?? "")}`,
    handle: async ({ registry, principal, request, options }) => {
      const o = await registry.deletePool(principal, String(request["name"] ?? ""), options);
      return { pool: poolToWire(o.value), outcome: outcomeToWire(o) };
    },
  },
  ListMoves: {
    action: "listMoves", anyOf: READ, target: () => "moves",
    handle: async ({ registry, principal, request }) => ({ items: (await registry.listMoves(principal, pick(request, "peer", "state", "active") as MoveQuery)).map(moveToWire) }),
  },
  PlanMove: {
    action: "planMove", anyOf: OPERATE, target: () => "moves",
    handle: async ({ registry, principal, request, options }) => moveOutcome(await registry.planMove(principal, movePlanOf(request), options)),
  },
  ReportMove: {
    action: "reportMove", anyOf: AGENT, target: (r) => `move/${idOf(r)}`,
    // `reason` says why a move failed, so it stays in the report (and is the audit reason too, as over REST).
    handle: async ({ registry, principal, request, options }) =>
      moveOutcome(await registry.reportMove(principal, idOf(request), pick(request, "state", "reason") as unknown as MoveReport, withReason(options, request["reason"]))),
  },
  PruneMoves: {
    action: "pruneMoves", anyOf: OPERATE, target: () => "moves",
    handle: async ({ registry, principal, request, options }) => {
      // An unset `before` reaches the registry as missing, which refuses it (and audits the refusal) as REST does.
      const o = await registry.pruneMoves(principal, pick(request, "before") as { before: number }, options);
      return { deleted: o.value.deleted, remaining: o.value.remaining, outcome: outcomeToWire(o) };
    },
  },
  ListAudit: {
    action: "queryAudit", anyOf: READ, target: () => "audit",
    handle: async ({ registry, principal, request }) => {
      const page = await registry.queryAudit(principal, pick(request, "target", "actor", "action", "outcome", "from", "to", "limit", "cursor") as AuditQuery);
      return { items: page.items, revision: page.revision, ...pick(page as unknown as Wire, "nextCursor") };
    },
  },
  GetAuditHead: {
    action: "auditHead", anyOf: READ, target: () => "audit",
    handle: async ({ registry, principal }) => (await registry.auditHead(principal)) as unknown as Wire,
  },
  GetAuditCheckpoint: {
    action: "auditCheckpoint", anyOf: READ, target: () => "audit",
    handle: async ({ registry, principal }) => (await registry.auditCheckpoint(principal)) as unknown as Wire,
  },
};

const WATCH: RpcDefinition = { action: "watchEvents", anyOf: READ, target: () => "events", handle: async () => ({}) };
/** What WatchEvents can carry; rolling-upgrade changes have no message here and stay REST's. */
const WATCH_KINDS: ReadonlySet<string> = new Set<WatchEventsChange["kind"]>(["peer", "cluster", "config", "pool", "audit", "move"]);

/** The registry's one watch filter, as REST's `/control/events` applies it too. */
export { passesWatchFilter };

const bearer = /^Bearer ([\x21-\x7e]{1,4096})$/;

/**
 * Mounts `drainkit.control.v1.Control` on a grpc-js server: every REST route
 * of the control API as an RPC, with the same bearer-token authentication,
 * RBAC scopes, audit entries (refusals at the door included) and error codes.
 * `authenticate` is injected so the control plane can pass the verifier its
 * HTTP API uses (token file, JWT).
 *
 * @example
 * const server = new grpc.Server();
 * addControlService(server, { registry, authenticate: staticTokens({ "s3cret": principals.operator }) });
 * server.bindAsync("127.0.0.1:7401", grpc.ServerCredentials.createInsecure(), () => {});
 */
export function addControlService(server: grpc.Server, options: ControlServiceOptions): void {
  const { registry, authenticate } = options;
  const logger = options.logger ?? silentLogger;

  const refuse = async (principal: Principal | undefined, rpc: RpcDefinition, request: Wire, code: string, options: MutationOptions = {}): Promise<void> => {
    // The reason and ticket the call carried are evidence too, whoever sent it.
    const { reason } = withReason(options, request["reason"]);
    // Cordon and drain carry their ticket in the request; other verbs in the options.
    const ticket = options.ticket ?? (typeof request["ticket"] === "string" && request["ticket"] !== "" ? request["ticket"] : undefined);
    const evidence: MutationOptions = { ...(reason === undefined ? {} : { reason: reason.slice(0, 1024) }), ...(ticket === undefined ? {} : { ticket: ticket.slice(0, 128) }) };
    try {
      await registry.recordRefusal(principal, rpc.action, rpc.target(request), { code }, evidence);
    } catch (e) {
      // The refusal still goes out; a store outage must not turn UNAUTHENTICATED into INTERNAL.
      logger.warn({ err: e instanceof Error ? e.message : String(e), action: rpc.action, code, ...evidence }, "could not audit a refused gRPC call");
    }
  };

  /** Authentication and the coarse scope check, exactly as the REST door does them. */
  const door = async (metadata: grpc.Metadata, rpc: RpcDefinition, request: Wire, options: MutationOptions = {}): Promise<Principal> => {
    const header = metadata.get("authorization")[0];
    const match = typeof header === "string" ? bearer.exec(header) : null;
    let principal: Principal | undefined;
    if (header === undefined || match !== null) {
      try {
        principal = await authenticate(match === null ? undefined : match[1]);
      } catch (e) {
        if (!(isDrainkitError(e) && e.code === "unauthenticated")) throw e;
      }
    }
    if (principal === undefined) {
      await refuse(undefined, rpc, request, "unauthenticated", options);
      throw new UnauthenticatedError();
    }
    if (!rpc.anyOf.some((s) => hasScope(principal, s))) {
      await refuse(principal, rpc, request, "forbidden", options);
      throw new ForbiddenError(rpc.action, rpc.anyOf[0]!, `needs one of ${rpc.anyOf.join(", ")}`);
    }
    return principal;
  };

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, rpc] of Object.entries(unaryRpcs)) {
    implementation[method] = (call: grpc.ServerUnaryCall<Wire, Wire>, callback: grpc.sendUnaryData<Wire>) => {
      void (async () => {
        const mutationOptions = optionsFromWire(call.request["options"] as Wire | undefined, call.metadata);
        const principal = await door(call.metadata, rpc, call.request, mutationOptions);
        return rpc.handle({ registry, principal, request: call.request, options: mutationOptions });
      })().then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (!isDrainkitError(error)) logger.error({ err: error instanceof Error ? error.message : String(error), method }, "gRPC control call failed");
          // The audit lives in the same store: when the store failed, so did the entry of this call.
          else if (error.code.startsWith("store-") || error.code === "write-contention") {
            logger.warn({ method, action: rpc.action, target: rpc.target(call.request), code: error.code }, "call failed in the store and has no audit entry");
          }
          callback(toServiceError(error));
        },
      );
    };
  }

  implementation["WatchEvents"] = (call: grpc.ServerWritableStream<Wire, Wire>) => {
    let handle: { close(): void } | undefined;
    let ended = false;
    const end = (error?: unknown): void => {
      if (ended) return;
      ended = true;
      handle?.close();
      if (error !== undefined) call.emit("error", toServiceError(error));
    };
    call.on("cancelled", () => end());
    call.on("close", () => end());
    void (async () => {
      const principal = await door(call.metadata, WATCH, call.request);
      const kinds = new Set(call.request["kinds"] as string[]);
      const unknown = [...kinds].filter((k) => !WATCH_KINDS.has(k));
      if (unknown.length > 0) {
        throw new ValidationError("kinds", `${unknown.join(", ")}: expected ${[...WATCH_KINDS].join(", ")} (rolling-upgrade changes are REST only: GET /control/events?kinds=rollout)`);
      }
      const peer = typeof call.request["peer"] === "string" ? call.request["peer"] : undefined;
      // An agent follows its own peer: it may narrow the feed to itself only, and sees only its own moves.
      const agentOnly = !hasScope(principal, "mesh.operate") && !principal.scopes.includes("mesh.read");
      if (agentOnly && peer !== undefined && peer !== principal.id) {
        await refuse(principal, WATCH, call.request, "forbidden");
        throw new ForbiddenError("watchEvents", "mesh.read", `an agent may only follow its own peer: set peer to "${principal.id}"`);
      }
      const filter = { ...(peer === undefined ? {} : { peer }), ...(agentOnly ? { movesOf: principal.id } : {}) };
      const from = typeof call.request["fromRevision"] === "number" ? call.request["fromRevision"] : (await registry.listPeers(principal, { limit: 1 })).revision;
      if (ended) return;
      handle = registry.watchAll(
        from,
        (change: RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange) => {
          // Placements (up to 10 000 entries each) are read with GetPlacement, not streamed; approvals are read with ListApprovals.
          if (ended || change.kind === "rollout" || change.kind === "placement" || change.kind === "approval" || (kinds.size > 0 && !kinds.has(change.kind)) || !passesWatchFilter(change, filter)) return;
          call.write(changeToWire(change));
        },
        (error) => end(error),
      );
      // History can be replayed synchronously and end the stream before watchAll() returns.
      if (ended) handle.close();
    })().catch((error: unknown) => end(error));
  };

  server.addService(controlServiceDefinition(), implementation);
}
