// @ts-nocheck
import {
  isDrainkitError,
  noopMetrics,
  nullEventSink,
  silentLogger,
  type Clock,
  type EventSink,
  type Logger,
  type Metrics,
  type NodeState,
  type RolePhase,
  type TimerHandle,
} from "@drainkit/core";
import { NoRoutableMemberError, RouterNotReadyError, SessionKeyRequiredError } from "./errors.ts";
import { isRoutable, nodeStateOf, phasesAt, staleFlagsOf } from "./peerState.ts";
import type { PeerSource, RoutingChange, RoutingPeer } from "./source.ts";
import { consistentHash, type ConsistentHashOptions } from "./strategies/consistentHash.ts";
import { leastInFlight } from "./strategies/leastInFlight.ts";
import { roundRobin } from "./strategies/roundRobin.ts";
import type { Balancer, RoleView, RouteChange, RouteLease, RouteMember, RouterEvent, Strategy } from "./types.ts";

/** Options of {@link startRouter}: ports first, then settings. */
export interface RouterOptions {
  readonly source: PeerSource;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly events?: EventSink<RouterEvent>;
  /**
   * When a cordon or drain passes its expiry (or a drain its deadline) and
   * the control plane has not written the peer since, the router always
   * reports it (`stale-flag` event, `routing_stale_flags` metrics). With
   * `expireStale` it also applies core's expiry to routing at once instead
   * of waiting for the control plane. Default false.
   */
  readonly expireStale?: boolean;
  /** Wait before re-reading the source after its feed failed. Default 1 000 ms. */
  readonly resyncDelayMs?: number;
}

/** Options of {@link Router.balancer}. */
export type BalancerOptions =
  | { readonly strategy: "round-robin" | "least-in-flight" }
  | ({ readonly strategy: "consistent-hash" } & ConsistentHashOptions);

/**
 * Follows a peer source and keeps, per role, the members that take new
 * traffic: active or cordoned for that role, never draining, drained or
 * failed. Built by {@link startRouter}.
 */
export interface Router {
  /** Members of `role` that take new traffic now, sorted by id. */
  members(role: string): readonly RouteMember[];
  /** A peer with `role`, whatever its phase; undefined when unknown. */
  member(role: string, id: string): RouteMember | undefined;
  /** Every peer with `role`, whatever its phase, sorted by id. */
  known(role: string): readonly RouteMember[];
  /** Every role any known peer has. */
  roles(): readonly string[];
  /** The last source revision applied. */
  revision(): number;
  /** Resolves once changes up to `revision` are applied (write, then route); rejects with `router-not-ready` if the router closes first. */
  caughtUp(revision: number): Promise<void>;
  /**
   * Calls `listener` whenever a member of a role changes phase, joins or
   * leaves (so also draining → drained, which keeps it out of the routable
   * set); `routable` says where it stands now. Returns the unsubscribe.
   */
  subscribe(listener: (change: RouteChange) => void): () => void;
  /** A balancer over `role`; each balancer keeps its own cursor and sessions. */
  balancer(role: string, options: BalancerOptions): Balancer;
  /** Requests in flight on `id` for `role` through every balancer's `acquire`. */
  inFlight(role: string, id: string): number;
  /** Stops following the source and cancels timers. */
  close(): void;
}

interface PeerEntry {
  readonly peer: RoutingPeer;
  readonly node: NodeState;
  phases: Readonly<Record<string, RolePhase>>;
  next: number | undefined;
  /** Stale flags already reported for this version of the peer. */
  readonly reported: Set<string>;
}

class RoleTable implements RoleView {
  readonly role: string;
  readonly all = new Map<string, RouteMember>();
  readonly load = new Map<string, number>();
  #routable: RouteMember[] = [];
  #dirty = false;
  #version = 0;

  constructor(role: string) {
    this.role = role;
  }
  members(): readonly RouteMember[] {
    if (this.#dirty) {
      this.#routable = [...this.all.values()].filter((m) => isRoutable(this.role, m.phase)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.#dirty = false;
    }
    return this.#routable;
  }
  version(): number {
    return this.#version;
  }
  lookup(id: string): RouteMember | undefined {
    return this.all.get(id);
  }
  inFlight(id: string): number {
    return this.load.get(id) ?? 0;
  }
  /** Sets or removes a member; returns whether its routability changed. */
  put(id: string, member: RouteMember | undefined): boolean {
    const before = this.all.get(id);
    if (member === undefined) this.all.delete(id);
    else this.all.set(id, member);
    const was = before !== undefined && isRoutable(this.role, before.phase);
    const is = member !== undefined && isRoutable(this.role, member.phase);
    if (was || is) {
      this.#dirty = true;
      this.#version++;
    }
    return was !== is;
  }
}

function memberOf(peer: RoutingPeer, role: string, phase: RolePhase): RouteMember {
  return { id: peer.id, address: peer.address, role, phase, pools: peer.pools, labels: peer.labels, epoch: peer.epoch };
}

function strategyFor(options: BalancerOptions): Strategy {
  switch (options.strategy) {
    case "round-robin":
      return roundRobin();
    case "least-in-flight":
      return leastInFlight();
    case "consistent-hash":
      return consistentHash(options);
  }
}

class FollowingRouter implements Router {
  readonly #source: PeerSource;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventSink<RouterEvent>;
  readonly #expireStale: boolean;
  readonly #resyncDelayMs: number;
  readonly #peers = new Map<string, PeerEntry>();
  readonly #tables = new Map<string, RoleTable>();
  readonly #listeners = new Set<(change: RouteChange) => void>();
  readonly #waiters: { revision: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  readonly #gMembers;
  readonly #cStale;
  readonly #gStale;
  readonly #cFeedErrors;
  #revision = 0;
  #watch: { close(): void } | undefined;
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  #resyncTimer: TimerHandle | undefined;
  #closed = false;
  #staleOpen = 0;
  #narrowedViews = 0;

  constructor(options: RouterOptions) {
    this.#source = options.source;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#events = options.events ?? nullEventSink;
    this.#expireStale = options.expireStale ?? false;
    this.#resyncDelayMs = options.resyncDelayMs ?? 1_000;
    const metrics = options.metrics ?? noopMetrics;
    this.#gMembers = metrics.gauge("routing_members", "Members taking new traffic, per role");
    this.#cStale = metrics.counter("routing_stale_flags_total", "Cordons and drains seen past their expiry with no control-plane write since");
    this.#gStale = metrics.gauge("routing_stale_flags", "Cordons and drains currently past their expiry");
    this.#cFeedErrors = metrics.counter("routing_feed_errors_total", "Failures of the peer source's change feed");
  }

  async load(): Promise<void> {
    const { peers, revision } = await this.#source.snapshot();
    if (this.#closed) return;
    const seen = new Set<string>();
    for (const peer of peers) {
      seen.add(peer.id);
      this.#apply(peer.id, peer, revision);
    }
    for (const id of [...this.#peers.keys()]) if (!seen.has(id)) this.#apply(id, undefined, revision);
    this.#revision = Math.max(this.#revision, revision);
    this.#release();
    this.#watch = this.#source.watch(
      revision,
      (c) => this.#onChange(c),
      (e) => this.#onFeedError(e),
    );
  }

  members(role: string): readonly RouteMember[] {
    this.#open();
    return this.#tables.get(role)?.members() ?? [];
  }
  member(role: string, id: string): RouteMember | undefined {
    return this.#tables.get(role)?.lookup(id);
  }
  known(role: string): readonly RouteMember[] {
    return [...(this.#tables.get(role)?.all.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  roles(): readonly string[] {
    return [...this.#tables.keys()].filter((r) => (this.#tables.get(r)?.all.size ?? 0) > 0).sort();
  }
  revision(): number {
    return this.#revision;
  }
  caughtUp(revision: number): Promise<void> {
    if (this.#revision >= revision) return Promise.resolve();
    if (this.#closed) return Promise.reject(new RouterNotReadyError("closed"));
    return new Promise((resolve, reject) => this.#waiters.push({ revision, resolve, reject }));
  }
  subscribe(listener: (change: RouteChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  inFlight(role: string, id: string): number {
    return this.#tables.get(role)?.inFlight(id) ?? 0;
  }

  balancer(role: string, options: BalancerOptions): Balancer {
    const view = this.#table(role);
    const strategy = strategyFor(options);
    const tryPick = (key?: string): RouteMember | undefined => {
      this.#open();
      if (strategy.name === "consistent-hash" && key === undefined) throw new SessionKeyRequiredError(role);
      return strategy.pick(view, key);
    };
    const pick = (key?: string): RouteMember => {
      const m = tryPick(key);
      if (m === undefined) throw new NoRoutableMemberError(role, view.all.size);
      return m;
    };
    // A view without the avoided members; its version is new on every use, so a strategy's cache (a hash ring) never mistakes it for the full view.
    const narrowed = (avoid: (member: RouteMember) => boolean): RoleView => {
      const members = view.members().filter((m) => !avoid(m));
      const version = -++this.#narrowedViews;
      const lookup = (id: string): RouteMember | undefined => {
        const m = view.lookup(id);
        return m === undefined || avoid(m) ? undefined : m;
      };
      return { role, members: () => members, version: () => version, lookup, inFlight: (id) => view.inFlight(id) };
    };
    const pickAvoiding = (key: string | undefined, avoid: (member: RouteMember) => boolean): RouteMember => {
      const first = pick(key);
      if (!avoid(first)) return first;
      const m = strategy.pick(narrowed(avoid), key);
      if (m === undefined) throw new NoRoutableMemberError(role, view.all.size);
      return m;
    };
    return {
      role,
      strategy: strategy.name,
      pick,
      tryPick,
      members: () => {
        this.#open();
        return view.members();
      },
      acquire: (key?: string, avoid?: (member: RouteMember) => boolean): RouteLease => {
        const member = avoid === undefined ? pick(key) : pickAvoiding(key, avoid);
        view.load.set(member.id, view.inFlight(member.id) + 1);
        let done = false;
        return {
          member,
          release: () => {
            if (done) return;
            done = true;
            const left = view.inFlight(member.id) - 1;
            if (left > 0) view.load.set(member.id, left);
            else view.load.delete(member.id);
          },
        };
      },
      endSession: (key: string) => strategy.forget?.(key),
    };
  }

  close(): void {
    this.#closed = true;
    this.#watch?.close();
    this.#watch = undefined;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    if (this.#resyncTimer !== undefined) this.#clock.clearTimer(this.#resyncTimer);
    this.#timer = undefined;
    this.#resyncTimer = undefined;
    this.#listeners.clear();
    for (const w of this.#waiters.splice(0)) w.reject(new RouterNotReadyError("closed"));
  }

  // ------------------------------------------------------------ following

  #open(): void {
    if (this.#closed) throw new RouterNotReadyError("closed");
  }

  #table(role: string): RoleTable {
    let t = this.#tables.get(role);
    if (t === undefined) {
      t = new RoleTable(role);
      this.#tables.set(role, t);
    }
    return t;
  }

  #onChange(change: RoutingChange): void {
    if (this.#closed || change.revision <= this.#revision) return;
    if (change.kind === "peer") this.#apply(change.id, change.value as RoutingPeer | undefined, change.revision);
    this.#revision = change.revision;
    this.#release();
  }

  #onFeedError(error: Error): void {
    if (this.#closed) return;
    const code = isDrainkitError(error) ? error.code : "feed-error";
    this.#cFeedErrors.inc({ code });
    this.#events.emit({ type: "router-feed-failed", code, message: error.message });
    this.#logger.warn({ code, error: error.message }, "peer feed failed; re-reading the source");
    this.#watch?.close();
    this.#watch = undefined;
    // A compacted feed (a registry's `history-compacted`, a remote control plane's `history-lost`)
    // can be resumed at once from a fresh snapshot; anything else waits a little first.
    const delay = code === "history-compacted" || code === "history-lost" ? 0 : this.#resyncDelayMs;
    this.#resyncTimer = this.#clock.setTimer(delay, () => {
      this.#resyncTimer = undefined;
      this.load().catch((e: unknown) => this.#onFeedError(e instanceof Error ? e : new Error(String(e))));
    });
  }

  #release(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.revision <= this.#revision) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  #apply(id: string, peer: RoutingPeer | undefined, revision: number): void {
    const before = this.#peers.get(id);
    if (before !== undefined) this.#forgetStale(before);
    let entry: PeerEntry | undefined;
    if (peer !== undefined) {
      const node = nodeStateOf(peer);
      entry = { peer, node, phases: peer.phases, next: undefined, reported: new Set() };
      this.#peers.set(id, entry);
      this.#refresh(entry, this.#clock.now(), before?.reported);
    } else {
      this.#peers.delete(id);
    }
    const roles = new Set([...(before?.peer.roles ?? []), ...(peer?.roles ?? [])]);
    for (const role of roles) this.#place(role, id, entry, revision);
    this.#schedule();
  }

  /** Reports due flags and, with expireStale, routes by core's expired phases. */
  #refresh(entry: PeerEntry, now: number, reportedBefore?: ReadonlySet<string>): void {
    const { phases, next } = phasesAt(entry.node, now);
    entry.next = next;
    for (const flag of staleFlagsOf(entry.peer.id, entry.node, now)) {
      const key = `${flag.flag}/${flag.holder}/${flag.role ?? ""}`;
      if (entry.reported.has(key)) continue;
      entry.reported.add(key);
      this.#staleOpen++;
      // A rewrite of the peer that still carries the lapsed flag is the same stale flag, not a new one.
      if (reportedBefore?.has(key) === true) continue;
      this.#cStale.inc({ flag: flag.flag });
      this.#events.emit({ type: "stale-flag", ...flag, expired: this.#expireStale });
      this.#logger.warn({ ...flag, expired: this.#expireStale }, `${flag.flag} on ${flag.peer} is past its expiry and the control plane has not lapsed it`);
    }
    this.#gStale.set(this.#staleOpen);
    if (this.#expireStale) entry.phases = phases;
  }

  #forgetStale(entry: PeerEntry): void {
    if (entry.reported.size === 0) return;
    this.#staleOpen -= entry.reported.size;
    this.#gStale.set(this.#staleOpen);
  }

  #place(role: string, id: string, entry: PeerEntry | undefined, revision: number): void {
    const table = this.#table(role);
    const phase = entry?.peer.roles.includes(role) ? entry.phases[role] ?? "active" : undefined;
    const member = entry !== undefined && phase !== undefined ? memberOf(entry.peer, role, phase) : undefined;
    const before = table.lookup(id);
    const flipped = table.put(id, member);
    if (before?.phase === member?.phase && (before !== undefined) === (member !== undefined)) return;
    const routable = member !== undefined && isRoutable(role, member.phase);
    if (flipped) {
      this.#gMembers.set(table.members().length, { role });
      this.#events.emit(
        routable
          ? { type: "route-member-added", role, peer: id, phase: member.phase, revision }
          : { type: "route-member-removed", role, peer: id, phase: member?.phase ?? "gone", revision },
      );
    }
    for (const l of this.#listeners) l({ role, peer: id, routable, member, revision });
  }

  #schedule(): void {
    let next: number | undefined;
    for (const e of this.#peers.values()) if (e.next !== undefined && (next === undefined || e.next < next)) next = e.next;
    if (next === this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = next;
    if (next === undefined || this.#closed) return;
    this.#timer = this.#clock.setTimer(Math.max(0, next - this.#clock.now()), () => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.#tick();
    });
  }

  #tick(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    for (const entry of this.#peers.values()) {
      if (entry.next === undefined || entry.next > now) continue;
      this.#refresh(entry, now);
      for (const role of entry.peer.roles) this.#place(role, entry.peer.id, entry, this.#revision);
    }
    this.#schedule();
  }
}

/**
 * Starts a router: reads the source's snapshot, then follows its change feed.
 * A compacted or failed feed is re-read from a fresh snapshot.
 *
 * @example
 * const router = await startRouter({ source: registrySource(registry, reader), clock: systemClock() });
 * const edge = router.balancer("edge", { strategy: "round-robin" });
 * fetch(`http://${edge.pick().address}/`);
 */
export async function startRouter(options: RouterOptions): Promise<Router> {
  const router = new FollowingRouter(options);
  await router.load();
  return router;
}
