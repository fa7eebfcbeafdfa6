// @ts-nocheck
import { ForbiddenError, ValidationError } from "../errors.ts";
import { hasScope } from "../rbac.ts";
import type { RouterAcks } from "../roles.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Peer, PeerRouter } from "../types/peer.ts";
import type { Principal } from "../types/principal.ts";
import { validateId } from "../validate.ts";
import { keepPeer, peerMutation, writePeer } from "./peerMutation.ts";
import type { RegistryContext } from "./RegistryContext.ts";
import type { PeerRecord } from "../peerRecord.ts";

/** Operators for any router; an agent-scoped token only as the router it names (its principal id). */
function requireRouter(principal: Principal, router: string, action: string): void {
  if (hasScope(principal, "mesh.operate")) return;
  if (hasScope(principal, "mesh.agent")) {
    if (principal.id === router) return;
    throw new ForbiddenError(action, "mesh.operate", `a mesh.agent token may only act as router "${principal.id}"`);
  }
  throw new ForbiddenError(action, "mesh.agent");
}

/** Routers on each peer: registration, removal acknowledgements, release. */
export function routerVerbs(ctx: RegistryContext): RouterAcks {
  const clock = ctx.clock;
  const withRouters = (record: PeerRecord, routers: Readonly<Record<string, PeerRouter>>): PeerRecord => {
    const { routers: _was, ...rest } = record;
    return { ...(Object.keys(routers).length === 0 ? rest : { ...rest, routers }), generation: record.generation + 1, updatedAt: clock.now() };
  };
  const mutation = (
    principal: Principal,
    action: "registerRouter" | "ackRouter" | "releaseRouter",
    id: string,
    router: string,
    request: unknown,
    options: MutationOptions,
    next: (routers: Readonly<Record<string, PeerRouter>>, now: number) => Readonly<Record<string, PeerRouter>> | undefined,
  ): Promise<MutationOutcome<Peer>> =>
    peerMutation(ctx, principal, action, id, request, options, () => {
      requireRouter(principal, router, action);
      validateId("router", router);
    }, (record, version) => {
      const routers = next(record.routers ?? {}, clock.now());
      return routers === undefined ? keepPeer(ctx, record) : writePeer(ctx, record, version, withRouters(record, routers));
    });

  return {
    registerRouter(principal, id, router, options = {}) {
      return mutation(principal, "registerRouter", id, router, { router }, options, (routers, now) => (routers[router] !== undefined ? undefined : { ...routers, [router]: { since: now } }));
    },
    ackRouter(principal, id, router, input, options = {}) {
      const epoch = input?.epoch;
      return mutation(principal, "ackRouter", id, router, { router, epoch }, options, (routers, now) => {
        if (typeof epoch !== "number" || !Number.isInteger(epoch) || epoch < 0) throw new ValidationError("epoch", "expected the drain's epoch, a whole number");
        const was = routers[router];
        if (was?.acked !== undefined && was.acked >= epoch) return undefined;
        return { ...routers, [router]: { since: was?.since ?? now, acked: epoch, ackedAt: now } };
      });
    },
    releaseRouter(principal, id, router, options = {}) {
      return mutation(principal, "releaseRouter", id, router, { router }, options, (routers) => {
        if (routers[router] === undefined) return undefined;
        const { [router]: _gone, ...rest } = routers;
        return rest;
      });
    },
  };
}
