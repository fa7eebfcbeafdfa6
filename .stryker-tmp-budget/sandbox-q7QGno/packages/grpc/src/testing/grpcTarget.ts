// @ts-nocheck
import { pages } from "@drainkit/core";
import type { MutationOptions, MutationOutcome, Scope } from "@drainkit/registry";
import { createControlClient, type ControlClient } from "../client.ts";
import { contractEnvironment, resultOfError, type ContractCall, type ContractResult, type ContractTarget } from "./contract.ts";
import { startTestControlServer, testToken } from "./server.ts";

type Body = Record<string, unknown>;

const without = (body: Body, ...keys: string[]): Body => Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)));
const COMMON = ["reason", "ticket", "confirm", "dryRun"];

/** What REST takes from the body and headers into MutationOptions. */
function optionsOf(call: ContractCall, body: Body): MutationOptions {
  return {
    ...(call.idempotencyKey === undefined ? {} : { idempotencyKey: call.idempotencyKey }),
    ...(call.ifMatch === undefined ? {} : { ifMatch: call.ifMatch }),
    ...(typeof body["reason"] === "string" ? { reason: body["reason"] } : {}),
    ...(typeof body["ticket"] === "string" ? { ticket: body["ticket"] } : {}),
    ...(body["confirm"] === true ? { confirm: true } : {}),
    ...(body["dryRun"] === true ? { dryRun: true } : {}),
  };
}

async function run(client: ControlClient, call: ContractCall): Promise<ContractResult> {
  const id = call.id ?? "";
  const body: Body = { ...(call.input ?? {}) };
  const options = optionsOf(call, body);
  const mutation = (o: MutationOutcome<unknown>): ContractResult => ({ ok: true, changed: o.changed, etag: o.etag, ...(o.replayed === true ? { replayed: true } : {}) });
  switch (call.action) {
    case "listPeers":
      await client.listPeers(body);
      return { ok: true };
    case "getPeer": {
      const { etag } = await client.getPeer(id);
      return { ok: true, etag };
    }
    case "registerPeer":
      return mutation(await client.registerPeer({ ...without(body, ...COMMON), id } as never, options));
    case "reportStatus":
      return mutation(await client.reportStatus(id, body as never, options));
    case "cordon":
      return mutation(await client.cordon(id, { ...without(body, "dryRun"), reason: (body["reason"] ?? "") as string } as never, options));
    case "uncordon":
      return mutation(await client.uncordon(id, without(body, ...COMMON), options));
    case "drain":
      return mutation(await client.drain(id, { ...without(body, "confirm", "dryRun"), reason: (body["reason"] ?? "") as string } as never, options));
    case "resume":
      return mutation(await client.resume(id, without(body, "dryRun"), options));
    case "patchPeer":
      return mutation(await client.patchPeer(id, without(body, ...COMMON), options));
    case "drainStatus":
      await client.drainStatus(id);
      return { ok: true };
    case "getPlacement":
      await client.getPlacement(id);
      return { ok: true };
    case "listClusters":
      await client.listClusters();
      return { ok: true };
    case "promote":
      return mutation(await client.promote(id, options));
    case "demote":
      return mutation(await client.demote(id, options));
    case "getConfig":
      await client.getConfig();
      return { ok: true };
    case "patchConfig":
      return mutation(await client.patchConfig((body["values"] ?? {}) as Body, options));
    case "queryAudit":
      await client.queryAudit(body);
      return { ok: true };
    case "auditHead":
      await client.auditHead();
      return { ok: true };
    case "auditCheckpoint":
      await client.auditCheckpoint();
      return { ok: true };
    case "listMoves":
      await client.listMoves(body);
      return { ok: true };
    case "planMove":
      return mutation(await client.planMove(without(body, ...COMMON) as never, options));
    case "reportMove":
      // As REST: the body's reason is the report's (why it failed) and the audit reason.
      return mutation(await client.reportMove(id, without(body, "ticket", "dryRun") as never, options));
    case "pruneMoves":
      return mutation(await client.pruneMoves(without(body, ...COMMON) as never, options));
  }
}

/**
 * A {@link ContractTarget} over gRPC: a fresh test control server on
 * 127.0.0.1 and the typed client, one per caller.
 */
export async function grpcContractTarget(): Promise<ContractTarget> {
  const api = await startTestControlServer({ pools: contractEnvironment.pools });
  return grpcContractTargetAt(api.address, () => api.close());
}

/**
 * A {@link ContractTarget} for a control service already listening at
 * `address` (another process, say) that accepts the `testToken` of each scope
 * and runs on {@link contractEnvironment}. `close` stops it.
 */
export function grpcContractTargetAt(address: string, close: () => Promise<void>): ContractTarget {
  const clients = new Map<string, ControlClient>();
  const clientFor = (as: ContractCall["as"]): ControlClient => {
    let c = clients.get(as);
    if (c === undefined) {
      const token = as === "anonymous" ? undefined : as === "invalid-token" ? "dk_not_a_token" : testToken(as as Scope);
      c = createControlClient(address, token === undefined ? {} : { token });
      clients.set(as, c);
    }
    return c;
  };
  return {
    async call(call) {
      try {
        return await run(clientFor(call.as), call);
      } catch (e) {
        return resultOfError(e);
      }
    },
    async auditCount() {
      const admin = clientFor("mesh.admin");
      let count = 0;
      for await (const page of pages((cursor) => admin.queryAudit({ limit: 1_000, ...(cursor === undefined ? {} : { cursor }) }))) count += page.items.length;
      return count;
    },
    async close() {
      for (const c of clients.values()) c.close();
      await close();
    },
  };
}
