// @ts-nocheck
import type { WorkloadMove } from "@drainkit/registry";
import type { AgentContext } from "./AgentContext.ts";
import { messageOf, withRetry } from "./withRetry.ts";
import type { WorkloadSet } from "./workloads.ts";

type MoveAction = "started" | "stopped" | "failed" | "cleaned-up";

/**
 * Carries out this host's part of the leader's workload moves, make before
 * break: as the destination, start the workload and report `serving`; as the
 * source, once the destination serves, stop the local copy and report
 * `done`. A move onto this host that failed after the workload was started
 * here is cleaned up (stopped again). A replayed change does nothing twice.
 */
export class MoveExecutor {
  readonly #ctx: AgentContext;
  readonly #set: WorkloadSet;
  /** `<move id>:<state>` already acted on, so a replayed change does nothing twice. */
  readonly #movesSeen = new Set<string>();
  /** Moves onto this host whose workload this agent started. */
  readonly #started = new Set<string>();

  constructor(ctx: AgentContext, set: WorkloadSet) {
    this.#ctx = ctx;
    this.#set = set;
  }

  /** Acts on one move as it stands now (no-op when this host has nothing to do in its state). */
  onMove(move: WorkloadMove): void {
    const set = this.#set;
    const life = this.#ctx.life();
    if (life === undefined) return;
    const self = this.#ctx.peer;
    const key = `${move.id}:${move.state}`;
    if (this.#movesSeen.has(key)) return;
    const workload = move.owner === undefined ? { id: move.workload } : { id: move.workload, owner: move.owner };
    const signal = life.signal;
    let task: (() => Promise<void>) | undefined;
    if (move.to === self && move.state === "starting") {
      task = async () => {
        try {
          set.accept(workload);
          this.#started.add(move.id);
          await set.handlers.start(workload, move, signal);
        } catch (error) {
          if (signal.aborted) return;
          set.delete(workload.id, "move");
          this.#started.delete(move.id);
          const reason = `destination ${self} could not start it: ${messageOf(error)}`;
          this.#emitMove(move, "failed", reason);
          await this.#reportMove(move, "failed", reason, signal);
          return;
        }
        this.#emitMove(move, "started");
        const accepted = await this.#reportMove(move, "serving", undefined, signal);
        // Serving is final for this side: the move can no longer fail, so nothing is left to clean up.
        if (accepted) this.#started.delete(move.id);
        // The leader gave up on the move first: this copy must not serve.
        else if (!signal.aborted) await this.#cleanUp(move, workload, signal);
      };
    } else if (move.to === self && move.state === "failed" && this.#started.has(move.id)) {
      task = () => this.#cleanUp(move, workload, signal);
    } else if (move.from === self && move.state === "serving") {
      task = async () => {
        if (set.has(workload.id)) {
          await set.handlers.stop(workload, move, signal);
          set.delete(workload.id, "move");
        }
        this.#emitMove(move, "stopped");
        await this.#reportMove(move, "done", undefined, signal);
      };
    }
    if (task === undefined) return;
    this.#movesSeen.add(key);
    // Bounded: a change is replayed only around a reconnect, long before 10 000 newer steps.
    if (this.#movesSeen.size > 10_000) this.#movesSeen.delete(this.#movesSeen.values().next().value!);
    const run = task;
    void run().catch((error: unknown) => {
      // Retried when the move is seen again (after a resync); a stop that failed leaves the copy until then.
      this.#movesSeen.delete(key);
      if (!signal.aborted) this.#ctx.logger.error({ peer: self, move: move.id, workload: move.workload, err: messageOf(error) }, "workload move step failed");
    });
  }

  async #cleanUp(move: WorkloadMove, workload: { readonly id: string; readonly owner?: string }, signal: AbortSignal): Promise<void> {
    const set = this.#set;
    this.#started.delete(move.id);
    if (!set.has(workload.id)) return;
    await set.handlers.stop(workload, move, signal);
    set.delete(workload.id, "move");
    this.#emitMove(move, "cleaned-up", move.reason);
  }

  /** Reports a move step, retrying transient failures; false when the registry refused it (e.g. the move already failed). */
  async #reportMove(move: WorkloadMove, state: "serving" | "done" | "failed", reason: string | undefined, signal: AbortSignal): Promise<boolean> {
    const ctx = this.#ctx;
    try {
      await withRetry(ctx, signal, async () => {
        await ctx.client().reportMove(move.id, { state, ...(reason === undefined ? {} : { reason }) }, { idempotencyKey: `move:${move.id}:${state}` });
      });
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      ctx.logger.warn({ peer: ctx.peer, move: move.id, state, err: messageOf(error) }, "move report refused");
      return false;
    }
  }

  #emitMove(move: WorkloadMove, action: MoveAction, reason?: string): void {
    const ctx = this.#ctx;
    ctx.emit({ type: "agent-move", peer: ctx.peer, move: move.id, workload: move.workload, action, ...(reason === undefined ? {} : { reason }), at: ctx.clock.now() });
    ctx.logger.info({ peer: ctx.peer, move: move.id, workload: move.workload, from: move.from, to: move.to, action }, "workload move");
  }
}
