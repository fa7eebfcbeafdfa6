import { ConfirmationRequiredError, NotFoundError } from "../errors.ts";
import { PEERS, ROLLOUTS, rolloutKey } from "../keys.ts";
import { etagOf, livenessWindow, toPeer, type PeerRecord } from "../peerRecord.ts";
import { requireScope } from "../rbac.ts";
import type { RolloutStore } from "../roles.ts";
import {
  applyRolloutStep,
  applyRolloutVerb,
  MaintenanceFreezeError,
  planNewRollout,
  RolloutInProgressError,
  rolloutActive,
  type Rollout,
  type RolloutStartInput,
  type RolloutStep,
} from "../rollouts.ts";
import { sha256 } from "../sha256.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import { checkIfMatch, isId } from "../validate.ts";
import { readConfig } from "./configVerbs.ts";
import { storedBudgets } from "./poolVerbs.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** Rolling upgrades: planned by `startRollout`, steered by operators, stepped by the leader's runner. */
export function rolloutVerbs(ctx: RegistryContext): RolloutStore {
  const { clock, view } = ctx;

  /** Every rollout, oldest first. */
  const rollouts = async (forWrite = false): Promise<{ rollout: Rollout; version: number }[]> => {
    const { items } = forWrite ? await view.listForWrite(ROLLOUTS) : await view.list(ROLLOUTS);
    return items.map((i) => ({ rollout: i.value as Rollout, version: i.version })).sort((a, b) => a.rollout.createdAt - b.rollout.createdAt || (a.rollout.id < b.rollout.id ? -1 : 1));
  };

  const resolveRolloutId = async (id: string | undefined): Promise<string | undefined> => {
    if (id !== undefined) return isId(id) ? id : undefined;
    try {
      return (await rollouts()).at(-1)?.rollout.id;
    } catch {
      return undefined;
    }
  };

  /** Operator verbs on a rollout: `id` or, when omitted, the latest one. */
  const rolloutMutation = (
    principal: Principal,
    action: string,
    id: string | undefined,
    request: unknown,
    options: MutationOptions,
    authorize: () => void,
    decide: (r: Rollout) => Rollout | undefined,
  ): Promise<MutationOutcome<Rollout>> => {
    let before: string | undefined;
    return resolveRolloutId(id).then((resolved) =>
      ctx.mutate({ principal, action, target: `rollout/${resolved ?? id ?? "latest"}`, options, request, etagBefore: () => before }, async () => {
        authorize();
        if (resolved === undefined) throw new NotFoundError("rollout", id);
        const got = await view.getForWrite(rolloutKey(resolved));
        if (got === undefined) throw new NotFoundError("rollout", resolved);
        const current = got.value as Rollout;
        before = etagOf(current.generation);
        checkIfMatch(`rollout/${resolved}`, options, current.generation);
        const next = decide(current);
        if (next === undefined) return { write: false, etag: etagOf(current.generation), result: current };
        return { write: true, key: rolloutKey(resolved), readVersion: got.version, record: next, etagBefore: before, etagAfter: etagOf(next.generation), result: next };
      }),
    );
  };

  return {
    async getRollout(principal: Principal, id?: string): Promise<Rollout> {
      requireScope(principal, "mesh.read", "getRollout");
      if (id !== undefined) {
        const got = isId(id) ? await view.get(rolloutKey(id)) : undefined;
        if (got === undefined) throw new NotFoundError("rollout", id);
        return got.value as Rollout;
      }
      const latest = (await rollouts()).at(-1);
      if (latest === undefined) throw new NotFoundError("rollout");
      return latest.rollout;
    },

    async listRollouts(principal: Principal): Promise<readonly Rollout[]> {
      requireScope(principal, "mesh.read", "listRollouts");
      return (await rollouts()).map((r) => r.rollout);
    },

    startRollout(principal: Principal, input: RolloutStartInput, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
      const now = clock.now();
      // A retry under the same Idempotency-Key must name the same rollout, so the id derives from it.
      const id =
        options.idempotencyKey !== undefined
          ? `ro-${sha256(`${principal.id}\u0000${options.idempotencyKey}`).slice(0, 12)}`
          : `ro-${now.toString(36)}-${ctx.random.int(0, 0x7fffffff).toString(36)}`;
      // An unverified rollout says so in its audit entry's reason, beside the operator's own words.
      const unverified = input?.verify === false || (input?.verify === undefined && input?.awaitVersion === false);
      const said = options.reason ?? input?.reason;
      const audited = unverified && typeof said === "string" ? { ...options, reason: `${said} [unverified: verify=false]` } : options;
      return ctx.mutate({ principal, action: "startRollout", target: `rollout/${id}`, options: audited, request: input }, async () => {
        requireScope(principal, "mesh.operate", "startRollout");
        const existing = await rollouts(true);
        const same = existing.find((r) => r.rollout.id === id);
        if (same !== undefined) return { write: false, etag: etagOf(same.rollout.generation), result: same.rollout };
        const running = existing.find((r) => rolloutActive(r.rollout));
        if (running !== undefined) throw new RolloutInProgressError(running.rollout.id, running.rollout.state);
        const settings = (await readConfig(ctx, true)).config.values;
        if (settings["maintenance.freeze"] === true) throw new MaintenanceFreezeError();
        const staleAfterMs = livenessWindow(settings);
        const peers = (await view.listForWrite(PEERS)).items.map((i) => toPeer(i.value as PeerRecord, now, staleAfterMs));
        const ticket = input?.ticket ?? options.ticket;
        const defaults = { staleAfterMs, maxParallel: Number(settings["rollout.maxParallel"] ?? 1) };
        const rollout = planNewRollout(id, { ...input, reason: input?.reason ?? options.reason ?? "", ...(ticket ? { ticket } : {}) }, peers, await storedBudgets(ctx, true), defaults, principal.id, now);
        return { write: true, key: rolloutKey(id), readVersion: 0, record: rollout, etagAfter: etagOf(rollout.generation), result: rollout };
      });
    },

    pauseRollout(principal: Principal, id: string | undefined, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
      return rolloutMutation(principal, "pauseRollout", id, { id }, options, () => requireScope(principal, "mesh.operate", "pauseRollout"), (r) =>
        applyRolloutVerb(r, "pause", options.reason ?? "paused by operator", clock.now()),
      );
    },

    resumeRollout(principal: Principal, id: string | undefined, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
      return rolloutMutation(principal, "resumeRollout", id, { id }, options, () => requireScope(principal, "mesh.operate", "resumeRollout"), (r) =>
        applyRolloutVerb(r, "resume", options.reason, clock.now()),
      );
    },

    abortRollout(principal: Principal, id: string | undefined, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
      return rolloutMutation(
        principal,
        "abortRollout",
        id,
        { id },
        options,
        () => {
          requireScope(principal, "mesh.operate", "abortRollout");
          if (options.confirm !== true) throw new ConfirmationRequiredError("abortRollout");
        },
        (r) => applyRolloutVerb(r, "abort", options.reason ?? "aborted by operator", clock.now()),
      );
    },

    recordRolloutStep(principal: Principal, id: string, step: RolloutStep, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
      return rolloutMutation(principal, "rolloutStep", id, step, options, () => requireScope(principal, "mesh.operate", "rolloutStep"), (r) =>
        applyRolloutStep(r, step, clock.now()),
      );
    },
  };
}
