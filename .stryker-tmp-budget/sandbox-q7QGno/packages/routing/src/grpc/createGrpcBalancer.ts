// @ts-nocheck
import type { Router } from "../Router.ts";
import { servesExisting } from "../peerState.ts";
import type { Balancer, RouteMember } from "../types.ts";

/** What the balancer needs of a client: grpc-js's `Client` (and every generated client) has it. */
export interface ClosableClient {
  close(): void;
}

/** Options of {@link createGrpcBalancer}. */
export interface GrpcBalancerOptions<C extends ClosableClient> {
  readonly router: Router;
  /** Picks the member for each call; its strategy decides spread and stickiness. */
  readonly balancer: Balancer;
  /** Builds the client of one member, e.g. `(m) => new EchoClient(m.address, credentials.createInsecure())`. */
  readonly connect: (member: RouteMember) => C;
}

/** Client-side balancing over a role's members, one client (channel) per member. */
export interface GrpcBalancer<C extends ClosableClient> {
  /**
   * Runs one call on the client of a member the balancer picks, counted in
   * flight until it settles (so `least-in-flight` sees it).
   */
  run<T>(call: (client: C, member: RouteMember) => Promise<T>, key?: string): Promise<T>;
  /** Members whose clients are open now. */
  open(): readonly string[];
  /** Closes every client and stops following the router. */
  close(): void;
}

/**
 * A gRPC client-side balancer built on the router: each call goes to a member
 * the balancer picks, over that member's own client. New calls never reach a
 * draining, drained or failed role; a sticky (consistent-hash) session keeps
 * its member while it drains. A member's client is closed once the member no
 * longer serves (drained, failed, gone) and its last call has settled, so
 * calls in flight finish on their channel.
 *
 * @example
 * const echo = createGrpcBalancer({ router, balancer: router.balancer("edge", { strategy: "least-in-flight" }),
 *   connect: (m) => new EchoClient(m.address, credentials.createInsecure()) });
 * const reply = await echo.run((client) => promisify(client.echo.bind(client))({ text: "hi" }));
 */
export function createGrpcBalancer<C extends ClosableClient>(options: GrpcBalancerOptions<C>): GrpcBalancer<C> {
  const { router, balancer, connect } = options;
  const role = balancer.role;
  const clients = new Map<string, { client: C; calls: number }>();

  const retireIfDone = (id: string): void => {
    const held = clients.get(id);
    if (held === undefined || held.calls > 0) return;
    if (servesExisting(role, router.member(role, id)?.phase)) return;
    clients.delete(id);
    held.client.close();
  };
  const unsubscribe = router.subscribe((change) => {
    if (change.role === role) retireIfDone(change.peer);
  });

  return {
    async run<T>(call: (client: C, member: RouteMember) => Promise<T>, key?: string): Promise<T> {
      const lease = balancer.acquire(key);
      const { member } = lease;
      let held = clients.get(member.id);
      try {
        if (held === undefined) {
          held = { client: connect(member), calls: 0 };
          clients.set(member.id, held);
        }
        held.calls++;
        return await call(held.client, member);
      } finally {
        if (held !== undefined) held.calls--;
        lease.release();
        retireIfDone(member.id);
      }
    },
    open: () => [...clients.keys()].sort(),
    close() {
      unsubscribe();
      for (const { client } of clients.values()) client.close();
      clients.clear();
    },
  };
}
