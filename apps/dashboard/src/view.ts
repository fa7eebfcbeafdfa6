import { isAvailable, resolveBudget, type PoolBudget } from "@drainkit/core";
import type { AuditEntry, Cluster, MoveChange, Peer, RegistryChange, Rollout, RolloutChange, WorkloadMove } from "./types.ts";

/**
 * The dashboard's view model: a pure reducer from a snapshot plus the change
 * feed to the state, and a pure projection of that state into what the page
 * shows. No DOM here, so it runs (and is tested) in Node.
 */

/** Remaining work of one drain. */
export interface Remaining {
  readonly inFlight: number;
  readonly owners: number;
  readonly children: number;
}

/** One point of the availability history: available / total per pool. */
export interface AvailabilitySample {
  readonly t: number;
  readonly pools: Readonly<Record<string, number>>;
}

export interface DashboardState {
  readonly peers: ReadonlyMap<string, Peer>;
  readonly rollouts: ReadonlyMap<string, Rollout>;
  /** Newest first, at most {@link AUDIT_KEEP}. */
  readonly audit: readonly AuditEntry[];
  readonly pools: readonly PoolBudget[];
  /** Largest remaining counts seen per draining peer (for its epoch): the 0 % mark of its progress bar. */
  readonly drainPeaks: ReadonlyMap<string, { readonly epoch: number; readonly total: number }>;
  readonly history: readonly AvailabilitySample[];
  /** Workload moves by id: every one in flight and the latest finished ones (at most {@link MOVES_KEEP}). */
  readonly moves: ReadonlyMap<string, WorkloadMove>;
  /** Clusters by id, with their role (active or backup): what promote and demote change. */
  readonly clusters: ReadonlyMap<string, Cluster>;
  /** Store revision the state reflects (the feed's Last-Event-ID). */
  readonly revision: number;
  /** Wall time (epoch ms) of the last event applied. */
  readonly at: number;
}

/** A change from `/control/events`. */
export type FeedChange = RegistryChange | RolloutChange | MoveChange;

export type DashboardEvent =
  | {
      readonly type: "snapshot";
      readonly at: number;
      readonly revision: number;
      readonly peers: readonly Peer[];
      readonly rollouts: readonly Rollout[];
      /** Any order; kept newest first. */
      readonly audit: readonly AuditEntry[];
      readonly pools: readonly PoolBudget[];
      /** `GET /control/moves` (absent: none known). */
      readonly moves?: readonly WorkloadMove[];
      /** `GET /control/clusters` (absent: none known). */
      readonly clusters?: readonly Cluster[];
    }
  | { readonly type: "change"; readonly at: number; readonly change: FeedChange }
  /**
   * The server's availability history (`GET /control/history/availability`)
   * up to `now`, the server's time of reading: it replaces what the page
   * sampled before `now`; what the page sampled after it stays.
   */
  | { readonly type: "history"; readonly now: number; readonly samples: readonly AvailabilitySample[] };

export const AUDIT_KEEP = 200;
export const HISTORY_KEEP = 720;
export const MOVES_KEEP = 2000;

export function initialState(): DashboardState {
  return { peers: new Map(), rollouts: new Map(), audit: [], pools: [], drainPeaks: new Map(), history: [], moves: new Map(), clusters: new Map(), revision: 0, at: 0 };
}

/** Sum of a peer's reported in-flight units and workloads still to move. */
export function remainingOf(peer: Peer): Remaining {
  const inFlight = Object.values(peer.status?.inFlight ?? {}).reduce((a, b) => a + b, 0);
  return { inFlight, owners: peer.status?.workloads.owners ?? 0, children: peer.status?.workloads.children ?? 0 };
}

const total = (r: Remaining): number => r.inFlight + r.owners + r.children;
const inDrain = (p: Peer): boolean => p.phase === "draining" || p.phase === "partially-drained" || (p.spec.drain !== undefined && (p.phase === "failed" || p.phase === "drained"));

function poolNames(peers: Iterable<Peer>, budgets: readonly PoolBudget[]): string[] {
  const names = new Set(budgets.map((b) => b.name));
  for (const p of peers) for (const n of p.pools) names.add(n);
  return [...names].sort();
}

/** The peer as the capacity guard reads it: a silent agent (liveness `unknown`) is never available, whatever its phase. */
function member(p: Peer): { id: string; pools: readonly string[]; phase: string; roles: Readonly<Record<string, string>>; healthy: boolean } {
  return { id: p.id, pools: p.pools, phase: p.phase, roles: p.phases, healthy: p.liveness !== "unknown" };
}

function availability(peers: ReadonlyMap<string, Peer>, budgets: readonly PoolBudget[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of poolNames(peers.values(), budgets)) {
    const budget = budgets.find((b) => b.name === name) ?? { name };
    const members = [...peers.values()].filter((p) => p.pools.includes(name));
    if (members.length === 0) continue;
    out[name] = members.filter((m) => isAvailable(budget, member(m))).length / members.length;
  }
  return out;
}

function sameSample(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function withPeaks(peaks: DashboardState["drainPeaks"], peers: Iterable<Peer>): DashboardState["drainPeaks"] {
  const next = new Map(peaks);
  for (const p of peers) {
    if (!inDrain(p)) {
      next.delete(p.id);
      continue;
    }
    const now = total(remainingOf(p));
    const seen = next.get(p.id);
    if (seen === undefined || seen.epoch !== p.epoch) next.set(p.id, { epoch: p.epoch, total: now });
    else if (now > seen.total) next.set(p.id, { epoch: p.epoch, total: now });
  }
  return next;
}

function sample(state: DashboardState, at: number): DashboardState {
  const pools = availability(state.peers, state.pools);
  const last = state.history.at(-1);
  if (last && sameSample(last.pools, pools)) return state;
  return { ...state, history: [...state.history, { t: at, pools }].slice(-HISTORY_KEEP) };
}

const moveActive = (m: WorkloadMove): boolean => m.state === "starting" || m.state === "serving";

/** Keeps every move in flight and the newest finished ones. */
function keepMoves(moves: Map<string, WorkloadMove>): Map<string, WorkloadMove> {
  if (moves.size <= MOVES_KEEP) return moves;
  const finished = [...moves.values()].filter((m) => !moveActive(m)).sort((a, b) => a.updatedAt - b.updatedAt);
  for (const m of finished.slice(0, moves.size - MOVES_KEEP)) moves.delete(m.id);
  return moves;
}

function addAudit(audit: readonly AuditEntry[], entries: readonly AuditEntry[]): AuditEntry[] {
  const bySeq = new Map(audit.map((e) => [e.seq, e]));
  for (const e of entries) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, AUDIT_KEEP);
}

/**
 * Applies one event. A snapshot replaces everything but the history (which
 * goes on); a change older than the state's revision is ignored, so a replay
 * after a reconnect cannot move the page backwards.
 *
 * @example
 * let s = reduce(initialState(), { type: "snapshot", at: Date.now(), revision: page.revision, peers: page.items, rollouts: [], audit: [], pools: [] });
 * s = reduce(s, { type: "change", at: Date.now(), change });
 */
export function reduce(state: DashboardState, event: DashboardEvent): DashboardState {
  if (event.type === "history") {
    const merged: AvailabilitySample[] = [];
    for (const s of [...event.samples, ...state.history.filter((h) => h.t > event.now)]) {
      const last = merged.at(-1);
      if (last === undefined || !sameSample(last.pools, s.pools)) merged.push(s);
    }
    return { ...state, history: merged.slice(-HISTORY_KEEP) };
  }
  if (event.type === "snapshot") {
    const peers = new Map(event.peers.map((p) => [p.id, p]));
    const next: DashboardState = {
      ...state,
      peers,
      rollouts: new Map(event.rollouts.map((r) => [r.id, r])),
      audit: addAudit([], event.audit),
      pools: event.pools,
      drainPeaks: withPeaks(state.drainPeaks, peers.values()),
      moves: keepMoves(new Map((event.moves ?? []).map((m) => [m.id, m]))),
      clusters: new Map((event.clusters ?? []).map((c) => [c.id, c])),
      revision: event.revision,
      at: event.at,
    };
    return sample(next, event.at);
  }
  const c = event.change;
  if (c.revision < state.revision) return state;
  const base = { ...state, revision: Math.max(state.revision, c.revision), at: event.at };
  switch (c.kind) {
    case "peer": {
      const peers = new Map(state.peers);
      if (c.value === undefined) peers.delete(c.id);
      else peers.set(c.id, c.value as Peer);
      const drainPeaks = c.value === undefined ? new Map([...state.drainPeaks].filter(([id]) => id !== c.id)) : withPeaks(state.drainPeaks, [c.value as Peer]);
      return sample({ ...base, peers, drainPeaks }, event.at);
    }
    case "rollout": {
      const rollouts = new Map(state.rollouts);
      if (c.value === undefined) rollouts.delete(c.id);
      else rollouts.set(c.id, c.value);
      return { ...base, rollouts };
    }
    case "move": {
      const moves = new Map(state.moves);
      if (c.value === undefined) moves.delete(c.id);
      else moves.set(c.id, c.value);
      return { ...base, moves: keepMoves(moves) };
    }
    case "cluster": {
      const clusters = new Map(state.clusters);
      if (c.value === undefined) clusters.delete(c.id);
      else clusters.set(c.id, c.value as Cluster);
      return { ...base, clusters };
    }
    case "audit":
      return c.value === undefined ? base : { ...base, audit: addAudit(state.audit, [c.value as AuditEntry]) };
    default:
      return base;
  }
}

// ---- the projection ----

export interface NodeCell {
  readonly id: string;
  /** The peer's phase for this role (its node phase when it has none). */
  readonly phase: string;
  readonly cordoned: boolean;
  readonly address: string;
  /** `unknown`: its agent never reported, or not within the liveness window; the grid hatches it, never green. */
  readonly liveness: "live" | "unknown";
  /** When its agent last reported (absent: never). */
  readonly heardAt?: number;
}

export interface PoolGroup {
  readonly pool: string;
  readonly roles: readonly { readonly role: string; readonly nodes: readonly NodeCell[] }[];
}

export interface PoolSummary {
  readonly pool: string;
  readonly total: number;
  readonly available: number;
  /**
   * Present when the server enforces a budget on this pool. `headroom` is how
   * many more members may go (PDB's ALLOWED DISRUPTIONS); `level` is `ok`
   * above the floor, `floor` at it (no more disruption allowed), `below`
   * under it.
   */
  readonly budget?: { readonly required: number; readonly text: string; readonly ok: boolean; readonly headroom: number; readonly level: "ok" | "floor" | "below" };
}

/** "1 more disruption allowed", "no disruption allowed (at its floor)", "2 below its budget". */
export function headroomText(b: NonNullable<PoolSummary["budget"]>): string {
  if (b.level === "below") return `${-b.headroom} below its budget`;
  if (b.level === "floor") return "no disruption allowed (at its floor)";
  return `${b.headroom} more disruption${b.headroom === 1 ? "" : "s"} allowed`;
}

export interface DrainRow {
  readonly peer: string;
  readonly phase: string;
  readonly epoch: number;
  readonly reason?: string;
  readonly ticket?: string;
  readonly deadline?: number;
  /** Why it failed, as the agent reported it. */
  readonly failure?: string;
  /** Why it makes no progress now (e.g. its workloads have nowhere to go), as the control plane recorded it. */
  readonly stalled?: string;
  readonly remaining: Remaining;
  /** Work done so far against the most seen: 0…1 (1 when drained). */
  readonly progress: number;
  readonly done: number;
  readonly of: number;
  /** The workload moves of this drain (absent when it has none). */
  readonly moves?: MoveCounts;
}

/** Workload moves of one drain. */
export interface MoveCounts {
  readonly inFlight: number;
  readonly done: number;
  readonly failed: number;
  /** The latest failed move: workload, destination and why. */
  readonly lastFailure?: { readonly workload: string; readonly to: string; readonly reason: string };
}

/** Counts the moves that serve the drain of `peer` under `epoch`. */
export function movesOfDrain(moves: Iterable<WorkloadMove>, peer: string, epoch: number): MoveCounts | undefined {
  let inFlight = 0;
  let done = 0;
  let failed = 0;
  let last: WorkloadMove | undefined;
  for (const m of moves) {
    if (m.drain?.target !== peer || m.drain.epoch !== epoch) continue;
    if (moveActive(m)) inFlight++;
    else if (m.state === "done") done++;
    else {
      failed++;
      if (last === undefined || m.updatedAt >= last.updatedAt) last = m;
    }
  }
  if (inFlight + done + failed === 0) return undefined;
  return { inFlight, done, failed, ...(last === undefined ? {} : { lastFailure: { workload: last.workload, to: last.to, reason: last.reason ?? "failed" } }) };
}

export interface RolloutView {
  readonly id: string;
  readonly version: string;
  readonly state: string;
  readonly stateReason?: string;
  readonly reason: string;
  readonly ticket?: string;
  readonly progress: Rollout["progress"];
  /** The version each node reported at its last step. */
  readonly nodes: readonly { readonly id: string; readonly step: string; readonly wave?: number; readonly reason?: string; readonly version?: string }[];
  /** False: nodes count as upgraded without reporting the version (absent from older servers). */
  readonly verify?: boolean;
  readonly warnings?: readonly string[];
  readonly canPause: boolean;
  readonly canResume: boolean;
}

export interface DashboardView {
  readonly groups: readonly PoolGroup[];
  readonly pools: readonly PoolSummary[];
  readonly drains: readonly DrainRow[];
  readonly rollout?: RolloutView;
  readonly audit: readonly AuditEntry[];
  readonly history: readonly AvailabilitySample[];
  readonly phases: readonly string[];
  /** Active clusters first, then backups; by id within each. */
  readonly clusters: readonly Cluster[];
}

/** Every phase the grid colours, in legend order. */
export const PHASES: readonly string[] = ["active", "cordoned", "draining", "partially-drained", "drained", "failed"];

function budgetText(b: PoolBudget): string {
  const parts: string[] = [];
  if (b.minAvailable !== undefined) parts.push(`minAvailable ${b.minAvailable}`);
  if (b.maxUnavailable !== undefined) parts.push(`maxUnavailable ${b.maxUnavailable}`);
  if (b.minSchedulable !== undefined) parts.push(`minSchedulable ${b.minSchedulable}`);
  return `${b.role !== undefined ? `${b.role}: ` : ""}${parts.join(", ") || "no limit"}`;
}

const NO_POOL = "(no pool)";

/** What the page shows for `state`. */
export function dashboardView(state: DashboardState): DashboardView {
  const peers = [...state.peers.values()].sort((a, b) => a.id.localeCompare(b.id));
  const groups: PoolGroup[] = [];
  const names = poolNames(peers, state.pools);
  if (peers.some((p) => p.pools.length === 0)) names.push(NO_POOL);
  for (const pool of names) {
    const members = peers.filter((p) => (pool === NO_POOL ? p.pools.length === 0 : p.pools.includes(pool)));
    const roles = [...new Set(members.flatMap((p) => p.roles))].sort();
    groups.push({
      pool,
      roles: roles.map((role) => ({
        role,
        nodes: members
          .filter((p) => p.roles.includes(role))
          .map((p) => ({
            id: p.id,
            phase: p.phases[role] ?? p.phase,
            cordoned: Object.keys(p.spec.cordons).length > 0,
            address: p.address,
            liveness: p.liveness === "unknown" ? ("unknown" as const) : ("live" as const),
            ...(p.status === undefined ? {} : { heardAt: p.status.heartbeatAt }),
          })),
      })),
    });
  }

  const pools: PoolSummary[] = [];
  for (const pool of poolNames(peers, state.pools)) {
    const budget = state.pools.find((b) => b.name === pool);
    const members = peers.filter((p) => p.pools.includes(pool));
    const available = members.filter((m) => isAvailable(budget ?? { name: pool }, member(m))).length;
    let resolved: PoolSummary["budget"];
    if (budget) {
      try {
        const required = resolveBudget(budget, members.length).required;
        const headroom = available - required;
        resolved = { required, text: budgetText(budget), ok: available >= required, headroom, level: headroom > 0 ? "ok" : headroom === 0 ? "floor" : "below" };
      } catch {
        resolved = undefined;
      }
    }
    pools.push({ pool, total: members.length, available, ...(resolved ? { budget: resolved } : {}) });
  }

  const drains: DrainRow[] = [];
  for (const p of peers) {
    if (!inDrain(p)) continue;
    const remaining = remainingOf(p);
    const left = total(remaining);
    const peak = Math.max(left, state.drainPeaks.get(p.id)?.epoch === p.epoch ? state.drainPeaks.get(p.id)!.total : left);
    const finished = p.phase === "drained";
    const done = finished ? peak : peak - left;
    const d = p.spec.drain;
    const moves = movesOfDrain(state.moves.values(), p.id, p.epoch);
    drains.push({
      peer: p.id,
      phase: p.phase,
      epoch: p.epoch,
      ...(d?.reason !== undefined ? { reason: d.reason } : {}),
      ...(d?.ticket !== undefined ? { ticket: d.ticket } : {}),
      ...(d?.deadline !== undefined ? { deadline: d.deadline } : {}),
      ...(p.phase === "failed" && p.status?.reason !== undefined ? { failure: p.status.reason } : {}),
      ...(p.phase === "draining" && d?.stalled !== undefined ? { stalled: `${d.stalled.reason}${d.stalled.workloads.length > 0 ? ` (${d.stalled.workloads.join(", ")})` : ""}` } : {}),
      remaining,
      progress: finished ? 1 : peak === 0 ? 0 : done / peak,
      done,
      of: peak,
      ...(moves === undefined ? {} : { moves }),
    });
  }

  // In progress first (failed ones need a person, so right after), finished ones last.
  const rank = (d: DrainRow): number => (d.phase === "draining" || d.phase === "partially-drained" ? 0 : d.phase === "failed" ? 1 : 2);
  drains.sort((a, b) => rank(a) - rank(b) || a.peer.localeCompare(b.peer));

  const latest = [...state.rollouts.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).at(-1);
  const rollout: RolloutView | undefined = latest && {
    id: latest.id,
    version: latest.version,
    state: latest.state,
    ...(latest.stateReason !== undefined ? { stateReason: latest.stateReason } : {}),
    reason: latest.reason,
    ...(latest.ticket !== undefined ? { ticket: latest.ticket } : {}),
    progress: latest.progress,
    nodes: Object.entries(latest.nodes).map(([id, n]) => ({
      id,
      step: n.step,
      ...(n.wave !== undefined ? { wave: n.wave } : {}),
      ...(n.reason !== undefined ? { reason: n.reason } : {}),
      ...(n.version !== undefined ? { version: n.version } : {}),
    })),
    ...(typeof (latest.settings as Partial<Rollout["settings"]>).verify === "boolean" ? { verify: latest.settings.verify } : {}),
    ...(latest.warnings !== undefined && latest.warnings.length > 0 ? { warnings: latest.warnings } : {}),
    canPause: latest.state === "running",
    canResume: latest.state === "paused",
  };

  const clusters = [...state.clusters.values()].sort((a, b) => (a.role === b.role ? a.id.localeCompare(b.id) : a.role === "active" ? -1 : 1));
  return { groups, pools, drains, ...(rollout ? { rollout } : {}), audit: state.audit, history: state.history, phases: PHASES, clusters };
}
