// @ts-nocheck
import type { RoleView, RouteMember, Strategy } from "../types.ts";
import { servesExisting } from "../peerState.ts";

/** Options of {@link consistentHash}. */
export interface ConsistentHashOptions {
  /** Points per member on the ring; more spreads keys more evenly. Default 100. */
  readonly pointsPerMember?: number;
  /** Sessions remembered for stickiness; the oldest is forgotten past this. Default 100 000. */
  readonly maxSessions?: number;
}

/** 32-bit FNV-1a followed by murmur3's finaliser, so near-identical keys spread over the ring. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Ring {
  readonly version: number;
  readonly points: Uint32Array;
  readonly owners: Int32Array;
  readonly members: readonly RouteMember[];
}

function buildRing(view: RoleView, perMember: number): Ring {
  const members = view.members();
  const pairs: { point: number; owner: number }[] = [];
  members.forEach((m, owner) => {
    for (let v = 0; v < perMember; v++) pairs.push({ point: hash32(`${m.id}#${v}`), owner });
  });
  pairs.sort((a, b) => a.point - b.point || a.owner - b.owner);
  const points = new Uint32Array(pairs.length);
  const owners = new Int32Array(pairs.length);
  pairs.forEach((p, i) => {
    points[i] = p.point;
    owners[i] = p.owner;
  });
  return { version: view.version(), points, owners, members };
}

function onRing(ring: Ring, key: string): RouteMember | undefined {
  const n = ring.points.length;
  if (n === 0) return undefined;
  const h = hash32(key);
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.points[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  return ring.members[ring.owners[lo === n ? 0 : lo]!];
}

/**
 * Consistent hashing by session key with stickiness. A key seen before stays
 * on its member while that member still serves existing work (active,
 * cordoned or draining); a new key, or one whose member drained, failed or
 * left, goes to the ring of routable members only. Draining a member
 * therefore moves no live session and takes no new one; keys of other
 * members do not move when membership changes.
 *
 * @example
 * const sticky = consistentHash({ maxSessions: 10_000 });
 * sticky.pick(view, sessionId);
 */
export function consistentHash(options: ConsistentHashOptions = {}): Strategy {
  const perMember = options.pointsPerMember ?? 100;
  const maxSessions = options.maxSessions ?? 100_000;
  const sessions = new Map<string, string>();
  let ring: Ring | undefined;
  return {
    name: "consistent-hash",
    pick(view: RoleView, key: string | undefined): RouteMember | undefined {
      if (key === undefined) return undefined;
      const held = sessions.get(key);
      if (held !== undefined) {
        const member = view.lookup(held);
        if (member !== undefined && servesExisting(view.role, member.phase)) return member;
        sessions.delete(key);
      }
      if (ring === undefined || ring.version !== view.version()) ring = buildRing(view, perMember);
      const chosen = onRing(ring, key);
      if (chosen === undefined) return undefined;
      if (sessions.size >= maxSessions) {
        const oldest = sessions.keys().next();
        if (oldest.done !== true) sessions.delete(oldest.value);
      }
      sessions.set(key, chosen.id);
      return chosen;
    },
    forget(key: string): void {
      sessions.delete(key);
    },
  };
}
