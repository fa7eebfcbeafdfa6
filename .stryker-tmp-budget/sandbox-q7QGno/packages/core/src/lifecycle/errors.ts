// @ts-nocheck
import { DrainkitError } from "../errors/DrainkitError.ts";
import type { LifecycleStatus } from "./types.ts";

/**
 * The dependency graph has a cycle; nothing was started. `path` walks the
 * cycle along `dependsOn` edges and ends where it began.
 *
 * @example
 * try { await lifecycle.start(); } catch (e) {
 *   if (e instanceof DependencyCycleError) console.error(e.path.join(" -> ")); // "a -> b -> a"
 * }
 */
export class DependencyCycleError extends DrainkitError {
  declare readonly details: { readonly path: readonly string[] };
  readonly path: readonly string[];

  constructor(path: readonly string[]) {
    super(
      "lifecycle-dependency-cycle",
      `Components depend on each other in a cycle: ${path.join(" -> ")}. ` +
        `Nothing was started; remove one of these dependsOn entries so the components can start in order.`,
      { details: { path } },
    );
    this.path = path;
  }
}

/**
 * A registration names a dependency that is not registered; nothing was started.
 *
 * @example
 * new LifecycleOrchestrator({ clock, random, components: [{ name: "http", dependsOn: ["db"] }] })
 *   .start(); // rejects: MissingDependencyError { component: "http", dependency: "db" }
 */
export class MissingDependencyError extends DrainkitError {
  declare readonly details: { readonly component: string; readonly dependency: string };

  constructor(component: string, dependency: string) {
    super(
      "lifecycle-missing-dependency",
      `Component "${component}" depends on "${dependency}", which is not registered. ` +
        `Nothing was started; register "${dependency}" or remove it from "${component}".dependsOn.`,
      { details: { component, dependency } },
    );
  }
}

/**
 * Two registrations share a name; names identify components in order,
 * snapshots, events and metrics, so they must be unique.
 *
 * @example
 * lifecycle.register({ name: "http" });
 * lifecycle.register({ name: "http" }); // throws DuplicateComponentError
 */
export class DuplicateComponentError extends DrainkitError {
  declare readonly details: { readonly component: string };

  constructor(component: string) {
    super(
      "lifecycle-duplicate-component",
      `A component named "${component}" is already registered. Give each component a unique name.`,
      { details: { component } },
    );
  }
}

/**
 * A retry policy has a value out of range (rejected at registration, so a
 * typo never surfaces only when a component first fails).
 *
 * @example
 * lifecycle.register({ name: "db", retry: { start: { attempts: 0 } } }); // throws InvalidRetryPolicyError
 */
export class InvalidRetryPolicyError extends DrainkitError {
  declare readonly details: { readonly field: string; readonly value: unknown };

  constructor(field: string, value: unknown, expected: string) {
    super(
      "lifecycle-invalid-retry-policy",
      `Retry policy field "${field}" is ${String(value)}; it must be ${expected}. Fix the policy and register again.`,
      { details: { field, value } },
    );
  }
}

/**
 * `start()`, `register()` or another call is not allowed in the orchestrator's
 * current status (an orchestrator starts once; create a new one to start again).
 *
 * @example
 * await lifecycle.start();
 * await lifecycle.start(); // rejects: LifecycleStateError { action: "start", status: "running" }
 */
export class LifecycleStateError extends DrainkitError {
  declare readonly details: { readonly action: string; readonly status: LifecycleStatus };

  constructor(action: string, status: LifecycleStatus) {
    super(
      "lifecycle-invalid-state",
      `Cannot ${action} while the lifecycle is ${status}. An orchestrator starts once and stops once; ` +
        `create a new LifecycleOrchestrator to start the components again.`,
      { details: { action, status } },
    );
  }
}

/**
 * One attempt of a component's start, stop or dispose ran past the policy's
 * `timeoutMs`; its signal was aborted. Retryable: the next attempt may succeed.
 *
 * @example
 * lifecycle.register({ name: "db", start: connect, retry: { start: { attempts: 3, timeoutMs: 5_000 } } });
 */
export class AttemptTimeoutError extends DrainkitError {
  declare readonly details: { readonly component: string; readonly phase: LifecyclePhase; readonly timeoutMs: number };

  constructor(component: string, phase: LifecyclePhase, timeoutMs: number) {
    super(
      "lifecycle-attempt-timeout",
      `Component "${component}" did not finish ${phase} within ${timeoutMs} ms; its signal was aborted. ` +
        `Check what it waits on, or raise the ${phase} policy's timeoutMs.`,
      { retryable: true, details: { component, phase, timeoutMs } },
    );
  }
}

/** Which operation on a component failed. */
export type LifecyclePhase = "start" | "stop" | "dispose";

/**
 * `start()` was cancelled (its signal aborted, or `stop()` was called while
 * starting); what had already started was stopped again, in reverse order.
 *
 * @example
 * const ac = new AbortController();
 * const started = lifecycle.start(ac.signal);
 * ac.abort();
 * await started; // rejects: LifecycleAbortedError, every started component stopped
 */
export class LifecycleAbortedError extends DrainkitError {
  declare readonly details: { readonly action: "start" | "stop"; readonly rollbackFailures: readonly LifecycleFailure[] };

  constructor(action: "start" | "stop", reason: unknown, rollbackFailures: readonly LifecycleFailure[] = []) {
    super(
      "lifecycle-aborted",
      action === "start"
        ? `Starting was cancelled; components that had started were stopped again` +
          (rollbackFailures.length > 0 ? `, but ${describeFailures(rollbackFailures)}` : "") +
          `. Call start() on a new orchestrator when ready.`
        : `Stopping was cancelled before this component confirmed it stopped; it may still hold resources. ` +
          `Check its logs, or let stop() run longer next time.`,
      { retryable: true, cause: reason, details: { action, rollbackFailures } },
    );
  }
}

/** One failed operation on a component. */
export interface LifecycleFailure {
  readonly component: string;
  readonly phase: LifecyclePhase;
  readonly error: unknown;
}

/**
 * A component failed to start after every attempt its policy allows. Its
 * dependents were never started and the components already running were
 * stopped again, in reverse order. `cause` is the last attempt's error.
 *
 * @example
 * try { await lifecycle.start(); } catch (e) {
 *   if (e instanceof ComponentStartError) console.error(e.component, e.attempts, e.cause);
 * }
 */
export class ComponentStartError extends DrainkitError {
  declare readonly details: { readonly component: string; readonly attempts: number; readonly rollbackFailures: readonly LifecycleFailure[] };
  readonly component: string;
  readonly attempts: number;

  constructor(component: string, attempts: number, cause: unknown, rollbackFailures: readonly LifecycleFailure[] = []) {
    super(
      "lifecycle-start-failed",
      `Component "${component}" failed to start after ${attempts} attempt(s): ${messageOf(cause)}. ` +
        `Its dependents were not started and the components already running were stopped` +
        (rollbackFailures.length > 0 ? `, but ${describeFailures(rollbackFailures)}` : "") +
        `. Fix the cause (see error.cause), or give "${component}" a start retry policy with more attempts.`,
      { retryable: false, cause, details: { component, attempts, rollbackFailures } },
    );
    this.component = component;
    this.attempts = attempts;
  }
}

/**
 * `stop()` tried every component, but some stop or dispose calls failed.
 * `failures` lists every one of them (like an AggregateError's `errors`).
 *
 * @example
 * try { await lifecycle.stop(); } catch (e) {
 *   if (e instanceof LifecycleStopError) for (const f of e.failures) log.error(f, "did not stop");
 * }
 */
export class LifecycleStopError extends DrainkitError {
  declare readonly details: { readonly failures: readonly LifecycleFailure[] };
  readonly failures: readonly LifecycleFailure[];
  /** The failures' errors, in the order of `failures` (AggregateError's shape). */
  readonly errors: readonly unknown[];

  constructor(failures: readonly LifecycleFailure[]) {
    super(
      "lifecycle-stop-failed",
      `Every component was asked to stop, but ${describeFailures(failures)}. ` +
        `Those components may still hold resources; check their logs before restarting the host.`,
      { retryable: false, details: { failures } },
    );
    this.failures = failures;
    this.errors = failures.map((f) => f.error);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeFailures(failures: readonly LifecycleFailure[]): string {
  const list = failures.map((f) => `${f.component} (${f.phase}: ${messageOf(f.error)})`).join("; ");
  return `${failures.length} operation(s) failed: ${list}`;
}
