// @ts-nocheck
import { DrainkitError } from "../errors/DrainkitError.ts";

/**
 * A drain request names an epoch this node has already used: it comes from an
 * earlier drain (a late or duplicated request) and is refused so it can never
 * disturb a newer one.
 *
 * @example
 * await coordinator.drain({ epoch: 3, deadline, reason }).catch((e) => {
 *   if (e instanceof StaleEpochError) console.log("already at epoch", e.current);
 * });
 */
export class StaleEpochError extends DrainkitError {
  readonly epoch: number;
  readonly current: number;
  constructor(epoch: number, current: number) {
    super(
      "stale-epoch",
      `Drain epoch ${epoch} is not newer than this node's latest drain (epoch ${current}). Read the node's drain status; to drain again, omit the epoch or use one above ${current}.`,
      { retryable: false, details: { epoch, current } },
    );
    this.epoch = epoch;
    this.current = current;
  }
}

/**
 * Some participants threw while reopening; the others were reopened.
 *
 * @example
 * await coordinator.resume().catch((e) => e instanceof ResumeFailedError && console.log(e.participants));
 */
export class ResumeFailedError extends DrainkitError {
  readonly participants: readonly string[];
  constructor(failures: readonly { participant: string; error: unknown }[]) {
    const names = failures.map((f) => f.participant);
    super(
      "resume-failed",
      `Participants ${names.map((n) => `"${n}"`).join(", ")} failed to reopen their gates. Check their logs, then call resume() again.`,
      { retryable: true, details: { participants: names, errors: failures.map((f) => String(f.error)) }, cause: failures[0]?.error },
    );
    this.participants = names;
  }
}

/** The coordinator was configured wrongly (e.g. two participants share a name). */
export class DrainConfigError extends DrainkitError {
  constructor(message: string) {
    super("drain-config", message, { retryable: false });
  }
}

/** The abort reason a participant's drain signal carries when the coordinator stops waiting. */
export class DrainStoppedError extends DrainkitError {
  constructor(epoch: number, why: string) {
    super("drain-stopped", `Drain epoch ${epoch} stopped: ${why}. The gate stays closed until resume().`, { retryable: false, details: { epoch } });
  }
}
