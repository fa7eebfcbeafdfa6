// @ts-nocheck
import { sleep } from "@drainkit/core";
import { ControlPlaneError, jitter, type ChangeOf, type StreamState } from "@drainkit/client";
import type { Peer, WorkloadMove } from "@drainkit/registry";
import type { AgentContext } from "./AgentContext.ts";
import type { WatchMode } from "./AgentEvent.ts";
import { messageOf, withRetry } from "./withRetry.ts";

/** Where the {@link SpecFollower} hands what it learns. */
export interface SpecSink {
  /** Reconciles one spec; calls run one at a time, each against the newest spec. */
  reconcile(peer: Peer): Promise<void>;
  /** A move this host may take part in (only when following moves). */
  move(move: WorkloadMove): void;
  /** The peer vanished from the registry: register it again (and resync). */
  reregister(): Promise<void>;
}

/**
 * Follows the agent's own spec: reads it with the current revision, then
 * the event stream from that revision (with the moves this host takes part
 * in, when it has workloads), and polls the spec with jitter while the
 * stream is down. Specs older than one already seen are dropped; the rest
 * are reconciled one at a time, each against the newest.
 */
export class SpecFollower {
  readonly #ctx: AgentContext;
  readonly #sink: SpecSink;
  readonly #pollMs: number;
  readonly #followMoves: boolean;
  #mode: WatchMode = "stopped";
  #revision = 0;
  #specVersion = 0;
  #watch: { close(): void } | undefined;
  #pollRound = 0;
  /** Reconciles run one at a time, in arrival order, each against the newest spec. */
  #reconciling: Promise<void> = Promise.resolve();
  #pendingSpec: Peer | undefined;

  constructor(ctx: AgentContext, sink: SpecSink, settings: { readonly pollMs: number; readonly followMoves: boolean }) {
    this.#ctx = ctx;
    this.#sink = sink;
    this.#pollMs = settings.pollMs;
    this.#followMoves = settings.followMoves;
  }

  get mode(): WatchMode {
    return this.#mode;
  }

  /** Last change-feed revision seen. */
  get revision(): number {
    return this.#revision;
  }

  /** Peer version (ETag number) of the spec last offered. */
  get specVersion(): number {
    return this.#specVersion;
  }

  /** Settles once the reconciles queued so far ran. */
  get reconciling(): Promise<void> {
    return this.#reconciling;
  }

  /** Reads the current revision and spec, then follows the event stream from that revision. */
  async resync(): Promise<void> {
    const client = this.#ctx.client();
    const page = await client.listPeers({ limit: 1 });
    const peer = await client.getPeer(this.#ctx.peer);
    this.#revision = page.revision;
    // A fresh read is authoritative, even when the registry was rebuilt and its versions restarted.
    this.#specVersion = 0;
    this.#offer(peer);
    if (this.#followMoves) for (const m of await client.listMoves({ peer: this.#ctx.peer, active: true })) this.#sink.move(m);
    this.#follow();
  }

  /** Stops the stream and polling; the mode becomes `stopped`. */
  stop(): void {
    this.#watch?.close();
    this.#watch = undefined;
    this.setMode("stopped");
  }

  setMode(mode: WatchMode): void {
    if (this.#mode === mode) return;
    const ctx = this.#ctx;
    this.#mode = mode;
    ctx.emit({ type: "agent-watch", peer: ctx.peer, mode, at: ctx.clock.now() });
    ctx.logger.info({ peer: ctx.peer, mode }, "agent watch mode");
  }

  #follow(): void {
    this.#watch?.close();
    const ctx = this.#ctx;
    const life = ctx.life();
    if (life === undefined) return;
    this.#watch = ctx.client().watch<"peer" | "move">(
      this.#revision,
      (change) => this.#onChange(change),
      (error) => {
        // History lost or access refused: poll, and re-read from a fresh revision after a pause.
        ctx.logger.warn({ peer: ctx.peer, err: error.message }, "event stream stopped; resyncing");
        this.#startPolling(life.signal);
        void withRetry(ctx, life.signal, async () => {
          await sleep(ctx.clock, jitter(this.#pollMs, ctx.random), life.signal);
          await this.resync();
        }).catch(() => {});
      },
      { kinds: this.#followMoves ? ["peer", "move"] : ["peer"], peer: ctx.peer, onState: (state) => this.#onStreamState(state, life.signal) },
    );
  }

  #onStreamState(state: StreamState, signal: AbortSignal): void {
    if (signal.aborted) return;
    if (state === "streaming") {
      this.setMode("streaming");
      // Changes during the outage are replayed from the last revision, but a
      // poll may have seen a newer spec already; versions keep that safe.
      return;
    }
    this.#startPolling(signal);
  }

  /** Starts the poll loop unless one runs already. */
  #startPolling(signal: AbortSignal): void {
    if (this.#mode === "polling" || signal.aborted) return;
    this.setMode("polling");
    void this.#poll(signal, ++this.#pollRound);
  }

  /** Polls the spec with jitter for as long as the stream is down. */
  async #poll(signal: AbortSignal, round: number): Promise<void> {
    const ctx = this.#ctx;
    // A loop from an earlier outage that is still asleep ends here instead of polling twice as often.
    const current = (): boolean => !signal.aborted && this.#mode === "polling" && this.#pollRound === round;
    while (current()) {
      try {
        await sleep(ctx.clock, jitter(this.#pollMs, ctx.random), signal);
      } catch {
        return;
      }
      if (!current()) return;
      try {
        this.#offer(await ctx.client().getPeer(ctx.peer));
      } catch (error) {
        ctx.logger.debug({ peer: ctx.peer, err: messageOf(error) }, "spec poll failed");
        if (error instanceof ControlPlaneError && error.code === "not-found") void this.#sink.reregister();
      }
    }
  }

  #onChange(change: ChangeOf<"peer" | "move">): void {
    this.#revision = Math.max(this.#revision, change.revision);
    if (change.kind === "move") {
      if (change.value !== undefined) this.#sink.move(change.value);
      return;
    }
    if (change.kind !== "peer" || change.id !== this.#ctx.peer) return;
    if (change.value === undefined) {
      void this.#sink.reregister();
      return;
    }
    this.#offer(change.value as Peer);
  }

  /** Queues a spec for reconciling; older versions than one already seen are dropped. */
  #offer(peer: Peer): void {
    if (peer.version < this.#specVersion) return;
    this.#specVersion = peer.version;
    const idle = this.#pendingSpec === undefined;
    this.#pendingSpec = peer;
    if (!idle) return;
    const ctx = this.#ctx;
    this.#reconciling = this.#reconciling.then(async () => {
      const spec = this.#pendingSpec;
      this.#pendingSpec = undefined;
      if (spec !== undefined && ctx.life() !== undefined) await this.#sink.reconcile(spec).catch((error: unknown) => ctx.logger.error({ peer: ctx.peer, err: messageOf(error) }, "reconcile failed"));
    });
  }
}
