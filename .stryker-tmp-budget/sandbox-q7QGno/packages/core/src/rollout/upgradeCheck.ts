// @ts-nocheck
import type { NodePhase } from "../state/phase.ts";

/**
 * Whether a node a rollout has upgraded counts as upgraded yet: the one
 * decision the control plane's rollout runner and the simulator both call.
 * Like Nomad's `min_healthy_time` / `healthy_deadline` (and AWS instance
 * refresh's warm-up), a node counts only once its agent reports the target
 * version and it has stayed healthy (live, phase `active`, reporting since it
 * was resumed) for `minHealthyMs` without a break; one that has not by
 * `deadline` fails with the reason.
 */

/** What a rollout verifies of each node it upgraded. */
export interface UpgradeCheck {
  /** The version the node must report. */
  readonly target: string;
  /** False for an unverified rollout (`--no-verify`): the reported version is not looked at. */
  readonly verify: boolean;
  /** How long the node must stay healthy, without a break, to count (0: one healthy observation). */
  readonly minHealthyMs: number;
  /** Epoch ms when the node was resumed: only agent reports at or after it count. */
  readonly resumedAt: number;
  /** Epoch ms after which a node still not upgraded fails (the healthy deadline). */
  readonly deadline: number;
}

/** What the node looks like now, as its agent last reported it. */
export interface UpgradeObservation {
  /** The version its agent reports; undefined when it reports none. */
  readonly version: string | undefined;
  /** True when its agent reported within its liveness window. */
  readonly live: boolean;
  /** Its node phase (anything but `active` is not serving). */
  readonly phase: NodePhase | (string & {});
  /** Epoch ms of its agent's last report; undefined when it never reported. */
  readonly reportedAt: number | undefined;
  /** A further readiness signal (e.g. traffic flows); false keeps the node unhealthy. */
  readonly ready?: boolean;
}

/** Why a node does not count as upgraded (yet). */
export type UpgradeWaitReason = "version-not-reported" | "not-live" | "not-active" | "no-report-since-resume" | "not-ready" | "settling";

/** The answer of {@link assessUpgrade}. */
export type UpgradeVerdict =
  | { readonly status: "upgraded"; readonly healthySince: number }
  | {
      readonly status: "waiting";
      readonly reason: UpgradeWaitReason;
      readonly detail: string;
      /** Since when it has been healthy on the target, when it is (carry it to the next call). */
      readonly healthySince?: number;
    }
  | { readonly status: "failed"; readonly reason: Exclude<UpgradeWaitReason, "settling">; readonly detail: string };

/**
 * Judges one observation of an upgraded node. Pure: the caller keeps
 * `healthySince` from the previous verdict (undefined at first) and calls
 * again on the next observation; any break in health starts the count anew.
 *
 * @example
 * let since: number | undefined;
 * const v = assessUpgrade({ target: "2.0.0", verify: true, minHealthyMs: 10_000, resumedAt, deadline }, observation, since, clock.now());
 * if (v.status === "waiting") since = v.healthySince;
 * if (v.status === "failed") console.log(v.reason, v.detail); // "version-not-reported", "reports 1.0.0, not 2.0.0 …"
 */
export function assessUpgrade(check: UpgradeCheck, seen: UpgradeObservation, healthySince: number | undefined, now: number): UpgradeVerdict {
  const blocker = blockerOf(check, seen);
  if (blocker === undefined) {
    const since = healthySince ?? now;
    if (now - since >= check.minHealthyMs) return { status: "upgraded", healthySince: since };
    const left = check.minHealthyMs - (now - since);
    // Past the deadline too: a node healthy on the target only needs the rest of its minimum healthy time, so it gets it.
    return { status: "waiting", reason: "settling", detail: `healthy on ${check.target}; ${left} ms of the ${check.minHealthyMs} ms minimum healthy time left`, healthySince: since };
  }
  if (now > check.deadline) return { status: "failed", reason: blocker.reason, detail: `${blocker.detail}, ${now - check.resumedAt} ms after it was resumed (past its healthy deadline)` };
  return { status: "waiting", reason: blocker.reason, detail: blocker.detail };
}

function blockerOf(check: UpgradeCheck, seen: UpgradeObservation): { reason: Exclude<UpgradeWaitReason, "settling">; detail: string } | undefined {
  if (check.verify && seen.version !== check.target) {
    return { reason: "version-not-reported", detail: `it reports version ${seen.version ?? "(none)"}, not ${check.target}` };
  }
  if (seen.reportedAt === undefined || seen.reportedAt < check.resumedAt) return { reason: "no-report-since-resume", detail: "its agent has not reported since it was resumed" };
  if (!seen.live) return { reason: "not-live", detail: "its agent is silent (liveness unknown)" };
  if (seen.phase !== "active") return { reason: "not-active", detail: `it is ${seen.phase}, not active` };
  if (seen.ready === false) return { reason: "not-ready", detail: "it is not ready to serve" };
  return undefined;
}
