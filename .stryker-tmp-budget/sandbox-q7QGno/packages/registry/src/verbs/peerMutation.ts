// @ts-nocheck
import { NotFoundError } from "../errors.ts";
import { peerKey } from "../keys.ts";
import { etagOf, toPeer, type PeerRecord } from "../peerRecord.ts";
import type { Attempt, Plan } from "../plan.ts";
import type { AuditAction } from "../types/audit.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Peer } from "../types/peer.ts";
import type { Principal } from "../types/principal.ts";
import { checkIfMatch, isId, validateId } from "../validate.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** Reads a peer's record; `not-found` for an unknown (or impossible) id. */
export async function readPeerRecord(ctx: RegistryContext, id: string, forWrite = false): Promise<{ record: PeerRecord; version: number }> {
  const key = peerKey(id);
  const got = !isId(id) ? undefined : forWrite ? await ctx.view.getForWrite(key) : await ctx.view.get(key);
  if (got === undefined) throw new NotFoundError("peer", id);
  return { record: got.value as PeerRecord, version: got.version };
}

/** A plan that writes `next` over `before` (read at `readVersion`). */
export function writePeer(ctx: RegistryContext, before: PeerRecord | undefined, readVersion: number, next: PeerRecord): Plan<Peer> {
  return {
    write: true,
    key: peerKey(next.id),
    readVersion,
    record: next,
    ...(before === undefined ? {} : { etagBefore: etagOf(before.generation) }),
    etagAfter: etagOf(next.generation),
    result: toPeer(next, ctx.clock.now()),
  };
}

/** A plan that changes nothing: the idempotent no-op. */
export function keepPeer(ctx: RegistryContext, record: PeerRecord): Plan<Peer> {
  return { write: false, etag: etagOf(record.generation), result: toPeer(record, ctx.clock.now()) };
}

/** Mutations on an existing peer: audit target, etagBefore and If-Match handled in one place. */
export function peerMutation<T>(
  ctx: RegistryContext,
  principal: Principal,
  action: AuditAction,
  id: string,
  request: unknown,
  options: MutationOptions,
  authorize: () => void,
  decide: (record: PeerRecord, version: number) => Promise<Plan<T>> | Plan<T>,
  attempt: Pick<Attempt, "audited"> = {},
): Promise<MutationOutcome<T>> {
  let before: string | undefined;
  return ctx.mutate({ principal, action, target: `peer/${id}`, options, request, etagBefore: () => before, ...attempt }, async () => {
    authorize();
    validateId("id", id);
    const { record, version } = await readPeerRecord(ctx, id, true);
    before = etagOf(record.generation);
    checkIfMatch(`peer/${id}`, options, record.generation);
    return decide(record, version);
  });
}
