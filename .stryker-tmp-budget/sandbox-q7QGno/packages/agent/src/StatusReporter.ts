// @ts-nocheck
import type { TimerHandle } from "@drainkit/core";
import { backoff, ControlPlaneError } from "@drainkit/client";
import type { StatusReport } from "@drainkit/registry";
import type { AgentContext } from "./AgentContext.ts";
import { messageOf } from "./withRetry.ts";

/** What the {@link StatusReporter} reads from the agent. */
export interface StatusSource {
  /** The report to send now. */
  status(): StatusReport;
  /** True while a drain is in progress (reports then come every `drainReportMs`). */
  draining(): boolean;
  /** The peer vanished from the registry: register it again. */
  reregister(): Promise<void>;
  /** The registry refused workloads that run on other peers (`workload-elsewhere`): stop them here; false when none was held. */
  elsewhere(livesOn: Readonly<Record<string, string>>): Promise<boolean>;
}

/**
 * Sends the agent's status reports: one at a time, a request during a send
 * coalescing into one more with the latest state; failures retry with
 * backoff until the next heartbeat takes over; and the one heartbeat timer,
 * faster while a drain runs.
 */
export class StatusReporter {
  readonly #ctx: AgentContext;
  readonly #source: StatusSource;
  readonly #heartbeatMs: number;
  readonly #drainReportMs: number;
  #heartbeat: TimerHandle | undefined;
  #reporting: Promise<void> | undefined;
  #reportAgain = false;
  #lastReportAt: number | undefined;
  #lastReportError: string | undefined;

  constructor(ctx: AgentContext, source: StatusSource, periods: { readonly heartbeatMs: number; readonly drainReportMs: number }) {
    this.#ctx = ctx;
    this.#source = source;
    this.#heartbeatMs = periods.heartbeatMs;
    this.#drainReportMs = periods.drainReportMs;
  }

  get lastReportAt(): number | undefined {
    return this.#lastReportAt;
  }

  get lastReportError(): string | undefined {
    return this.#lastReportError;
  }

  /** True while the heartbeat runs (from the end of start until stop). */
  get beating(): boolean {
    return this.#heartbeat !== undefined;
  }

  /** Sends a status report now (coalescing with one in flight); failures retry with backoff until the next heartbeat. */
  report(): Promise<void> {
    if (this.#reporting !== undefined) {
      this.#reportAgain = true;
      return this.#reporting;
    }
    const ctx = this.#ctx;
    const send = async (): Promise<void> => {
      let attempt = 0;
      for (;;) {
        const life = ctx.life();
        if (life === undefined) return;
        this.#reportAgain = false;
        const report = this.#source.status();
        try {
          await ctx.client().reportStatus(ctx.peer, report);
          this.#lastReportAt = ctx.clock.now();
          this.#lastReportError = undefined;
          attempt = 0;
          if (!this.#reportAgain) return;
        } catch (error) {
          this.#lastReportError = messageOf(error);
          ctx.emit({ type: "agent-report-failed", peer: ctx.peer, error: this.#lastReportError, at: ctx.clock.now() });
          if (error instanceof ControlPlaneError && error.code === "workload-elsewhere") {
            // One home per workload: stop the duplicates here, then report what is left at once.
            // REST carries the problem document (its `details` inside), gRPC the details themselves.
            const d = error.details as { livesOn?: Record<string, string>; details?: { livesOn?: Record<string, string> } } | undefined;
            const livesOn = d?.livesOn ?? d?.details?.livesOn ?? {};
            if (await this.#source.elsewhere(livesOn)) continue;
            return;
          }
          if (error instanceof ControlPlaneError && error.code === "not-found") await this.#source.reregister();
          else if (error instanceof ControlPlaneError && !error.retryable) return;
          if (++attempt * ctx.retry.initialMs > this.#heartbeatMs && !this.#reportAgain) return; // the heartbeat takes over
          try {
            await backoff(attempt, ctx.retry, { clock: ctx.clock, random: ctx.random, signal: life.signal });
          } catch {
            return;
          }
        }
      }
    };
    this.#reporting = send().finally(() => {
      this.#reporting = undefined;
    });
    return this.#reporting;
  }

  /** (Re)arms the one heartbeat timer; called after each beat and when a drain starts. */
  scheduleHeartbeat(): void {
    const clock = this.#ctx.clock;
    if (this.#heartbeat !== undefined) clock.clearTimer(this.#heartbeat);
    this.#heartbeat = undefined;
    if (this.#ctx.life() === undefined) return;
    // While a drain runs, operators watch its remaining counts: report them more often.
    const period = this.#source.draining() ? Math.min(this.#heartbeatMs, this.#drainReportMs) : this.#heartbeatMs;
    this.#heartbeat = clock.setTimer(period, () => {
      this.#heartbeat = undefined;
      void this.report().finally(() => this.scheduleHeartbeat());
    });
  }

  /** Stops the heartbeat; a report in flight finishes (see {@link settled}). */
  stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) this.#ctx.clock.clearTimer(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Resolves once no report is in flight. */
  async settled(): Promise<void> {
    await this.#reporting?.catch(() => {});
  }
}
