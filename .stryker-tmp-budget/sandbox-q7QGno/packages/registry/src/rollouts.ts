// @ts-nocheck
import { DrainkitError, planRollout, type BlockedNode, type FleetNode, type PoolBudget, type RolloutNodePhase } from "@drainkit/core";
import { ValidationError } from "./errors.ts";
import type { Peer } from "./types/peer.ts";

/**
 * Rolling upgrades as the registry persists them under `rollouts/<id>`: the
 * plan, the operator's intent (running, paused, aborting) and every node's
 * step. Operators change the intent through audited mutations; the leader's
 * rollout runner records each step through another audited mutation, so a
 * new leader after a failover reads where the rollout stood and carries on.
 */

/** Where a rollout stands. `aborting` waits for steps under way to finish. */
export type RolloutState = "running" | "paused" | "aborting" | "aborted" | "completed" | "incomplete";

/** A node's step: core's rollout phases, plus `pending` (not started yet). */
export type RolloutNodeStep = RolloutNodePhase | "pending";

/** Which peers a rollout covers: every filter given must match. */
export interface RolloutSelector {
  readonly pool?: string;
  readonly role?: string;
  /** `key=value` or `key`. */
  readonly label?: string;
  /** Exactly these peers (in this order of preference). */
  readonly nodes?: readonly string[];
}

/** How the leader drives the rollout. */
export interface RolloutSettings {
  /** Nodes per wave at most. */
  readonly maxParallel: number;
  /** Pause once more than this many nodes failed. */
  readonly failureThreshold: number;
  /** Time each drain gets. */
  readonly drainTimeoutMs: number;
  /**
   * The healthy deadline: from the start of its upgrade, the time a node gets
   * to report the target version and stay healthy for `minHealthyMs`; past it
   * the node fails with the reason (core's `assessUpgrade`).
   */
  readonly healthTimeoutMs: number;
  /** How long a node must stay healthy (live, active) on the target version, without a break, to count (Nomad's `min_healthy_time`). */
  readonly minHealthyMs: number;
  /**
   * True (the default): a node counts as upgraded only once it reports the
   * target version (`metadata.version`, else label `version`), and the
   * leader waits for that report before resuming it. False: unverified
   * (`--no-verify`); recorded in `warnings` and in the audit entry's reason.
   */
  readonly verify: boolean;
}

/** One node of a rollout. */
export interface RolloutNodeStatus {
  readonly step: RolloutNodeStep;
  readonly wave?: number;
  /** The registry drain epoch the rollout drained it under. */
  readonly epoch?: number;
  /** Why it failed, is deferred or blocked. */
  readonly reason?: string;
  /** The version the node reported when the step was recorded (`metadata.version`, else label `version`). */
  readonly version?: string;
  /** Epoch ms of the last step. */
  readonly at: number;
}

/** Counts and the estimated time left. */
export interface RolloutCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly inProgress: number;
  readonly pending: number;
  /** Estimated ms left from the pace so far; absent before the first node finishes. */
  readonly etaMs?: number;
}

/** A rolling upgrade (`GET /control/upgrade`). */
export interface Rollout {
  readonly id: string;
  /** Target version. */
  readonly version: string;
  readonly selector: RolloutSelector;
  readonly settings: RolloutSettings;
  readonly reason: string;
  readonly ticket?: string;
  readonly requestedBy: string;
  readonly state: RolloutState;
  /** Why it is paused, aborting or ended short. */
  readonly stateReason?: string;
  /** What operators must know about how it was started (e.g. that it does not verify versions). */
  readonly warnings?: readonly string[];
  /** The plan when it started; the leader re-plans before each wave. */
  readonly plan: { readonly waves: readonly { readonly index: number; readonly nodes: readonly string[] }[]; readonly blocked: readonly BlockedNode[] };
  /** Every node the rollout covers, in plan order. */
  readonly nodes: Readonly<Record<string, RolloutNodeStatus>>;
  readonly progress: RolloutCounts;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  /** Bumped on every write; the ETag is `"<generation>"`. */
  readonly generation: number;
}

/** Input of `startRollout` (`POST /control/upgrade/drain`). */
export interface RolloutStartInput {
  readonly version: string;
  readonly selector?: RolloutSelector;
  readonly maxParallel?: number;
  readonly failureThreshold?: number;
  readonly drainTimeoutMs?: number;
  readonly healthTimeoutMs?: number;
  readonly minHealthyMs?: number;
  /** Default true; false starts an unverified rollout. */
  readonly verify?: boolean;
  /** Deprecated synonym of `verify` (read only when `verify` is absent). */
  readonly awaitVersion?: boolean;
  readonly reason: string;
  readonly ticket?: string;
}

/** What the leader's runner records: a node's step, or the end / a pause of the whole rollout. */
export type RolloutStep =
  | { readonly node: string; readonly step: RolloutNodeStep; readonly wave?: number; readonly epoch?: number; readonly reason?: string; readonly version?: string }
  | { readonly state: RolloutState; readonly reason?: string };

/** One entry of the change feed for a rollout (`event: rollout` on /control/events). */
export interface RolloutChange {
  readonly revision: number;
  readonly kind: "rollout";
  readonly id: string;
  readonly value: Rollout | undefined;
}

/** Default of `minHealthyMs`: Nomad's `min_healthy_time`. */
const DEFAULT_MIN_HEALTHY_MS = 10_000;

const ACTIVE_STATES: ReadonlySet<RolloutState> = new Set(["running", "paused", "aborting"]);
const IN_PROGRESS: ReadonlySet<RolloutNodeStep> = new Set(["cordoned", "draining", "drained", "upgrading", "resuming"]);

/** True while a rollout still needs its leader. */
export function rolloutActive(r: Rollout): boolean {
  return ACTIVE_STATES.has(r.state);
}

/** A rollout is already under way; one at a time. */
export class RolloutInProgressError extends DrainkitError {
  constructor(id: string, state: RolloutState) {
    super("rollout-in-progress", `Rollout "${id}" is ${state}; wait for it to finish, or abort it (POST /control/upgrade:abort) first.`, {
      details: { rollout: id, state },
    });
  }
}

/** Config `maintenance.freeze` is on: no new rollout starts until an admin lifts it. */
export class MaintenanceFreezeError extends DrainkitError {
  constructor() {
    super("maintenance-freeze", 'Config "maintenance.freeze" is true: no new rollout starts. An admin lifts it with `drainctl config unset maintenance.freeze` (PATCH /control/config {"values":{"maintenance.freeze":null},"confirm":true}).', {
      details: { key: "maintenance.freeze", value: true },
    });
  }
}

/** The verb does not apply to the rollout's state. */
export class RolloutTransitionError extends DrainkitError {
  constructor(id: string, verb: string, state: RolloutState, allowed: readonly string[]) {
    super("rollout-invalid-transition", `Cannot ${verb} rollout "${id}" while it is ${state}. Allowed now: ${allowed.length === 0 ? "nothing (it has ended)" : allowed.join(", ")}.`, {
      details: { rollout: id, from: state, event: verb, allowed: [...allowed] },
    });
  }
}

/** The version a peer reports: `metadata.version`, else label `version`. */
export function peerVersion(peer: Peer): string | undefined {
  const v = peer.metadata["version"];
  if (typeof v === "string") return v;
  return peer.labels["version"];
}

/** A peer as the rollout planner sees it: one whose agent never reported, or not within `staleAfterMs`, is not available. */
export function fleetNodeOf(peer: Peer, staleAfterMs: number, now: number): FleetNode {
  const version = peerVersion(peer);
  const stale = peer.status === undefined || now - peer.status.heartbeatAt > staleAfterMs;
  return { id: peer.id, pools: peer.pools, phase: peer.phase, roles: peer.phases, epoch: peer.epoch, ...(version === undefined ? {} : { version }), ...(stale ? { healthy: false } : {}) };
}

/** True when the peer matches every filter of the selector (nodes aside). */
export function selects(selector: RolloutSelector, peer: Peer): boolean {
  if (selector.pool !== undefined && !peer.pools.includes(selector.pool)) return false;
  if (selector.role !== undefined && !peer.roles.includes(selector.role)) return false;
  if (selector.label !== undefined) {
    const [k, v] = selector.label.split("=", 2);
    if (k === undefined || peer.labels[k] === undefined || (v !== undefined && peer.labels[k] !== v)) return false;
  }
  return true;
}

const positive = (field: string, v: unknown, fallback: number, min = 1): number => {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new ValidationError(field, `expected a whole number >= ${min}`);
  return v;
};

/** What the registry's settings contribute to a new rollout. */
export interface RolloutDefaults {
  /** `heartbeat.staleAfterMs`. */
  readonly staleAfterMs: number;
  /** `rollout.maxParallel`: the plan's `maxParallel` when the request gives none. */
  readonly maxParallel: number;
}

/** The warning an unverified rollout carries. */
function unverifiedWarning(version: string): string {
  return `unverified rollout (verify=false): a node counts as upgraded once it is healthy again, whether or not it reports version ${version}`;
}

/**
 * Plans a new rollout from the peers as they are: the selected peers not on
 * `version` yet (or exactly `selector.nodes`), in waves sized by the pool
 * budgets and `maxParallel`; `plan.blocked` names each node that cannot drain
 * now and why (the dry run).
 */
export function planNewRollout(id: string, input: RolloutStartInput, peers: readonly Peer[], pools: readonly PoolBudget[], defaults: RolloutDefaults, principal: string, now: number): Rollout {
  if (typeof input.version !== "string" || input.version.trim() === "") throw new ValidationError("version", "name the version to upgrade to");
  if (typeof input.reason !== "string" || input.reason.trim() === "") throw new ValidationError("reason", "say why (a non-empty reason is required)");
  const selector: RolloutSelector = input.selector ?? {};
  const verify = input.verify ?? input.awaitVersion ?? true;
  if (typeof verify !== "boolean") throw new ValidationError("verify", "expected true or false");
  const settings: RolloutSettings = {
    maxParallel: positive("maxParallel", input.maxParallel, defaults.maxParallel),
    failureThreshold: positive("failureThreshold", input.failureThreshold, 0, 0),
    drainTimeoutMs: positive("drainTimeoutMs", input.drainTimeoutMs, 600_000),
    healthTimeoutMs: positive("healthTimeoutMs", input.healthTimeoutMs, 300_000),
    minHealthyMs: positive("minHealthyMs", input.minHealthyMs, DEFAULT_MIN_HEALTHY_MS, 0),
    verify,
  };
  const byId = new Map(peers.map((p) => [p.id, p]));
  for (const n of selector.nodes ?? []) if (!byId.has(n)) throw new ValidationError("selector.nodes", `no peer "${n}" is registered`);
  const chosen = (selector.nodes ?? peers.map((p) => p.id)).map((n) => byId.get(n)!).filter((p) => selects(selector, p));
  const targets = selector.nodes !== undefined ? chosen : chosen.filter((p) => peerVersion(p) !== input.version);
  if (chosen.length === 0) throw new ValidationError("selector", "it matches no registered peer");
  if (targets.length === 0) throw new ValidationError("version", `every selected peer already runs ${input.version}`);
  const fleet = { nodes: peers.map((p) => fleetNodeOf(p, defaults.staleAfterMs, now)) };
  const plan = planRollout(fleet, { version: input.version, nodes: targets.map((p) => p.id) }, { pools, maxParallel: settings.maxParallel });
  const nodes: Record<string, RolloutNodeStatus> = {};
  const versionOf = (id: string): { version?: string } => {
    const v = peerVersion(byId.get(id)!);
    return v === undefined ? {} : { version: v };
  };
  for (const w of plan.waves) for (const n of w.nodes) nodes[n] = { step: "pending", wave: w.index, ...versionOf(n), at: now };
  for (const b of plan.blocked) nodes[b.node] = { step: "pending", reason: b.detail, ...versionOf(b.node), at: now };
  const base = {
    id,
    version: input.version,
    selector,
    settings,
    reason: input.reason,
    ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
    requestedBy: principal,
    state: "running" as const,
    ...(verify ? {} : { warnings: [unverifiedWarning(input.version)] }),
    plan: { waves: plan.waves.map((w) => ({ index: w.index, nodes: [...w.nodes] })), blocked: [...plan.blocked] },
    nodes,
    createdAt: now,
    updatedAt: now,
    generation: 1,
  };
  return { ...base, progress: countsOf(base, now) };
}

/** Counts and ETA of a rollout at `now`. */
export function countsOf(r: Pick<Rollout, "nodes" | "createdAt">, now: number): RolloutCounts {
  let done = 0;
  let failed = 0;
  let inProgress = 0;
  let pending = 0;
  for (const n of Object.values(r.nodes)) {
    if (n.step === "healthy") done++;
    else if (n.step === "failed") failed++;
    else if (IN_PROGRESS.has(n.step)) inProgress++;
    else pending++;
  }
  const finished = done + failed;
  const left = inProgress + pending;
  const etaMs = finished > 0 ? Math.round(((now - r.createdAt) / finished) * left) : undefined;
  return { total: done + failed + inProgress + pending, done, failed, inProgress, pending, ...(etaMs === undefined ? {} : { etaMs }) };
}

/** Applies an operator verb; undefined when it changes nothing (idempotent no-op). */
export function applyRolloutVerb(r: Rollout, verb: "pause" | "resume" | "abort", reason: string | undefined, now: number): Rollout | undefined {
  const allowed: Record<RolloutState, readonly string[]> = {
    running: ["pause", "abort"],
    paused: ["resume", "abort"],
    aborting: ["abort"],
    aborted: [],
    completed: [],
    incomplete: [],
  };
  const to: RolloutState = verb === "pause" ? "paused" : verb === "resume" ? "running" : "aborting";
  if (r.state === to || (verb === "abort" && r.state === "aborting")) return undefined;
  if (!allowed[r.state].includes(verb)) throw new RolloutTransitionError(r.id, verb, r.state, allowed[r.state]);
  const { stateReason: _old, ...rest } = r;
  return { ...rest, state: to, ...(reason === undefined || to === "running" ? {} : { stateReason: reason }), updatedAt: now, generation: r.generation + 1 };
}

/** Applies one step the leader's runner recorded; undefined when it changes nothing. */
export function applyRolloutStep(r: Rollout, step: RolloutStep, now: number): Rollout | undefined {
  if ("node" in step) {
    const before = r.nodes[step.node];
    if (before === undefined) throw new ValidationError("step.node", `"${step.node}" is not part of rollout "${r.id}"`);
    const next: RolloutNodeStatus = {
      step: step.step,
      ...(step.wave ?? before.wave) === undefined ? {} : { wave: step.wave ?? before.wave },
      ...(step.epoch ?? before.epoch) === undefined ? {} : { epoch: step.epoch ?? before.epoch },
      ...(step.reason === undefined ? {} : { reason: step.reason }),
      ...(step.version ?? before.version) === undefined ? {} : { version: step.version ?? before.version },
      at: now,
    };
    if (before.step === next.step && before.epoch === next.epoch && before.reason === next.reason && before.wave === next.wave && before.version === next.version) return undefined;
    const nodes = { ...r.nodes, [step.node]: next };
    return { ...r, nodes, progress: countsOf({ nodes, createdAt: r.createdAt }, now), updatedAt: now, generation: r.generation + 1 };
  }
  if (!ACTIVE_STATES.has(r.state)) return undefined; // an ended rollout stays ended
  if (step.state === r.state && step.reason === r.stateReason) return undefined;
  const ended = !ACTIVE_STATES.has(step.state);
  const { stateReason: _old, ...rest } = r;
  return {
    ...rest,
    state: step.state,
    ...(step.reason === undefined ? {} : { stateReason: step.reason }),
    progress: countsOf(r, now),
    ...(ended ? { finishedAt: now } : {}),
    updatedAt: now,
    generation: r.generation + 1,
  };
}
