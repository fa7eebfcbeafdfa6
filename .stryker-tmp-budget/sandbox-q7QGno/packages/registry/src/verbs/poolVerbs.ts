// @ts-nocheck
import type { PoolBudget } from "@drainkit/core";
import { sameJson } from "../audit/canonicalJson.ts";
import { ConfirmationRequiredError, NotFoundError } from "../errors.ts";
import { POOLS, poolKey } from "../keys.ts";
import { etagOf } from "../peerRecord.ts";
import { budgetsOf, isPoolName, poolInputsOf, poolOf, validatePoolInput, type PoolRecord } from "../pools.ts";
import { requireScope } from "../rbac.ts";
import type { PoolStore } from "../roles.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Pool, PoolInput } from "../types/pool.ts";
import type { Principal } from "../types/principal.ts";
import { checkIfMatch } from "../validate.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/**
 * Every stored budget, for a decision inside a mutation (`forWrite`) or for a
 * reader. Inside a mutation the read is part of the batch that the audit head
 * serializes, so a budget changed by another replica is never half-seen.
 */
export async function storedBudgets(ctx: RegistryContext, forWrite = false): Promise<PoolBudget[]> {
  const { items } = forWrite ? await ctx.view.listForWrite(POOLS) : await ctx.view.list(POOLS);
  const stored = items.map((i) => i.value as PoolRecord);
  const names = new Set(stored.map((r) => r.name));
  return [...ctx.declaredPools.filter((b) => !names.has(b.name)), ...stored.flatMap(budgetsOf)];
}

/** A pool declared by `createRegistry`'s `pools` and not stored (version 0). */
function declaredPool(name: string, input: PoolInput): Pool {
  const { roles, ...bounds } = input;
  return { name, ...bounds, roles: roles ?? {}, version: 0 };
}

/** Pools and their budgets: declared through the API, read by every replica. */
export function poolVerbs(ctx: RegistryContext): PoolStore {
  const read = async (name: string, forWrite: boolean): Promise<{ record: PoolRecord | undefined; version: number }> => {
    const got = forWrite ? await ctx.view.getForWrite(poolKey(name)) : await ctx.view.get(poolKey(name));
    return { record: got?.value as PoolRecord | undefined, version: got?.version ?? 0 };
  };

  return {
    async listPools(principal: Principal): Promise<readonly Pool[]> {
      requireScope(principal, "mesh.read", "listPools");
      const stored = (await ctx.view.list(POOLS)).items.map((i) => poolOf(i.value as PoolRecord));
      const names = new Set(stored.map((p) => p.name));
      const declared = [...poolInputsOf(ctx.declaredPools)].filter(([name]) => !names.has(name)).map(([name, input]) => declaredPool(name, input));
      return [...declared, ...stored].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async getPool(principal: Principal, name: string): Promise<{ readonly pool: Pool; readonly etag: string }> {
      requireScope(principal, "mesh.read", "getPool");
      const { record } = isPoolName(name) ? await read(name, false) : { record: undefined };
      if (record !== undefined) return { pool: poolOf(record), etag: etagOf(record.generation) };
      const input = poolInputsOf(ctx.declaredPools).get(name);
      if (input === undefined) throw new NotFoundError("pool", name);
      return { pool: declaredPool(name, input), etag: etagOf(0) };
    },

    async poolBudgets(): Promise<readonly PoolBudget[]> {
      return storedBudgets(ctx);
    },

    putPool(principal: Principal, name: string, input: PoolInput, options: MutationOptions = {}): Promise<MutationOutcome<Pool>> {
      let before: string | undefined;
      return ctx.mutate({ principal, action: "putPool", target: `pool/${name}`, options, request: { name, input }, etagBefore: () => before }, async () => {
        requireScope(principal, "mesh.admin", "putPool");
        const { bounds, roles } = validatePoolInput(name, input);
        const { record, version } = await read(name, true);
        const generation = record?.generation ?? 0;
        before = record === undefined ? undefined : etagOf(generation);
        checkIfMatch(`pool/${name}`, options, generation);
        if (record !== undefined && sameJson(record.bounds, bounds) && sameJson(record.roles, roles)) return { write: false, etag: etagOf(generation), result: poolOf(record) };
        const next: PoolRecord = { name, bounds, roles, generation: generation + 1 };
        return { write: true, key: poolKey(name), readVersion: version, record: next, ...(before === undefined ? {} : { etagBefore: before }), etagAfter: etagOf(next.generation), result: poolOf(next) };
      });
    },

    deletePool(principal: Principal, name: string, options: MutationOptions = {}): Promise<MutationOutcome<Pool>> {
      let before: string | undefined;
      return ctx.mutate({ principal, action: "deletePool", target: `pool/${name}`, options, request: { name }, etagBefore: () => before }, async () => {
        requireScope(principal, "mesh.admin", "deletePool");
        // Removing a budget lets every member of the pool be drained at once: an admin says so explicitly.
        if (options.confirm !== true) throw new ConfirmationRequiredError("deletePool");
        const { record, version } = isPoolName(name) ? await read(name, true) : { record: undefined, version: 0 };
        if (record === undefined) throw new NotFoundError("pool", name);
        before = etagOf(record.generation);
        checkIfMatch(`pool/${name}`, options, record.generation);
        return { write: true, deletes: [{ key: poolKey(name), readVersion: version }], etagBefore: before, etagAfter: etagOf(0), result: poolOf(record) };
      });
    },
  };
}
