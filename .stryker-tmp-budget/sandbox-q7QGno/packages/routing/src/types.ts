// @ts-nocheck
import type { RolePhase } from "@drainkit/core";
import type { StaleFlag } from "./peerState.ts";

/** One peer as a route target for one role. */
export interface RouteMember {
  readonly id: string;
  readonly address: string;
  readonly role: string;
  /** The role's phase on this peer as the router applies it. */
  readonly phase: RolePhase;
  readonly pools: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** The peer's drain epoch. */
  readonly epoch: number;
}

/** What one role's routing looks like to a strategy: a live view, cheap to read. */
export interface RoleView {
  readonly role: string;
  /** Members taking new traffic (active or cordoned), sorted by id. */
  members(): readonly RouteMember[];
  /** Bumped whenever `members()` changes, so strategies rebuild derived state only then. */
  version(): number;
  /** Any peer with the role, whatever its phase (for stickiness), or undefined when gone. */
  lookup(id: string): RouteMember | undefined;
  /** Requests counted in flight on `id` for this role (see {@link Balancer.acquire}). */
  inFlight(id: string): number;
}

/**
 * How a balancer chooses among routable members:
 * - `round-robin`: each member in turn;
 * - `least-in-flight`: the member with the fewest requests in flight (ties rotate);
 * - `consistent-hash`: by session key on a hash ring, sticky: a session stays on
 *   its member while that member still serves (also while it drains), and new
 *   sessions only land on routable members.
 */
export type StrategyName = "round-robin" | "least-in-flight" | "consistent-hash";

/** A pick rule over a {@link RoleView}; returns undefined when no member is routable. */
export interface Strategy {
  readonly name: StrategyName;
  pick(view: RoleView, key: string | undefined): RouteMember | undefined;
  /** Forgets a session (consistent-hash); other strategies ignore it. */
  forget?(key: string): void;
}

/** A pick counted in flight until released. */
export interface RouteLease {
  readonly member: RouteMember;
  /** Ends the request; calling it again does nothing. */
  release(): void;
}

/**
 * Picks members of one role with one strategy.
 *
 * @example
 * const edge = router.balancer("edge", { strategy: "least-in-flight" });
 * const lease = edge.acquire();
 * try { await call(lease.member.address); } finally { lease.release(); }
 */
export interface Balancer {
  readonly role: string;
  readonly strategy: StrategyName;
  /** A member for one new request or session; throws `no-routable-member` when the role has none. */
  pick(key?: string): RouteMember;
  /** Like {@link pick}, or undefined instead of throwing. */
  tryPick(key?: string): RouteMember | undefined;
  /**
   * {@link pick}, counted in flight on the member until `release()`. With
   * `avoid`, members it returns true for are skipped (members already tried
   * by a retry, ejected outliers); when it rules out every routable member
   * the role has none to offer and this throws `no-routable-member`.
   */
  acquire(key?: string, avoid?: (member: RouteMember) => boolean): RouteLease;
  /** Members taking new traffic now, sorted by id (health checks probe these). */
  members(): readonly RouteMember[];
  /** Ends a sticky session so its key may land elsewhere next time. */
  endSession(key: string): void;
}

/** Events the router emits through its `EventSink`. */
export type RouterEvent =
  | { readonly type: "route-member-added"; readonly role: string; readonly peer: string; readonly phase: RolePhase; readonly revision: number }
  | { readonly type: "route-member-removed"; readonly role: string; readonly peer: string; readonly phase: RolePhase | "gone"; readonly revision: number }
  | (StaleFlag & {
      readonly type: "stale-flag";
      /** True when the router applied the expiry itself (`expireStale`). */
      readonly expired: boolean;
    })
  | { readonly type: "router-feed-failed"; readonly code: string; readonly message: string };

/** A member of a role changed phase, joined or left; for `Router.subscribe`. */
export interface RouteChange {
  readonly role: string;
  readonly peer: string;
  readonly routable: boolean;
  /** The member as it is now (undefined when the peer is gone). */
  readonly member: RouteMember | undefined;
  readonly revision: number;
}
