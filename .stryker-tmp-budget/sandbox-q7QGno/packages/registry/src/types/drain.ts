/** Cordons and drains: the desired drain in a peer's spec, its progress, and the inputs of the drain verbs. */
// @ts-nocheck


/** The desired drain, as the host's agent sees it in its spec. */
export interface DrainSpec {
  /** Monotonic per peer; stale reports from older epochs are ignored. */
  readonly epoch: number;
  /** Epoch ms by which the drain must finish, or it fails. */
  readonly deadline: number;
  readonly roles: readonly string[];
  readonly reason: string;
  readonly ticket?: string;
  readonly requestedAt: number;
  readonly requestedBy: string;
  /** True when an admin forced it past a pool budget. */
  readonly forced?: boolean;
  /**
   * Set by the control plane's move planner while the drain cannot progress
   * (e.g. no peer of its pools can take its workloads), cleared once it can.
   */
  readonly stalled?: DrainStall;
  /** Written by the leader when the drain failed (e.g. missed its deadline): why, and when. */
  readonly failure?: { readonly reason: string; readonly at: number };
}

/** The leader fails a drain that missed its deadline, naming what was left. */
export interface DrainFailure {
  readonly epoch: number;
  readonly reason: string;
}

/** Why a drain makes no progress now, and since when. */
export interface DrainStall {
  readonly reason: string;
  /** Up to 20 of the workloads that have nowhere to go. */
  readonly workloads: readonly string[];
  /** Epoch ms since the drain has been stalled for this reason. */
  readonly since: number;
}

/** Input of {@link Registry.reportDrainStalled}: a reason sets the stall, none clears it. */
export interface DrainStallReport {
  /** The drain it is about; a report for another epoch changes nothing. */
  readonly epoch: number;
  readonly reason?: string;
  readonly workloads?: readonly string[];
}

/** Drain progress of one peer, for `GET /control/peers/{id}/drain` (202 while draining). */
export interface DrainStatus {
  readonly peer: string;
  readonly epoch: number;
  readonly status: "none" | "draining" | "drained" | "failed";
  readonly deadline?: number;
  readonly roles: readonly string[];
  readonly remaining: { readonly inFlight: number; readonly owners: number; readonly children: number };
  readonly reason?: string;
  /** Participants or roles still holding the drain up. */
  readonly blocking?: readonly string[];
}

/** A drain in the registry, for controllers rebuilding their view after failover. */
export interface DrainRecord {
  readonly peer: string;
  readonly request: DrainSpec;
  readonly status: DrainStatus["status"];
}

export interface CordonInput {
  /** Defaults to the principal's id. */
  readonly owner?: string;
  readonly reason: string;
  readonly ticket?: string;
  readonly expiresAt?: number;
  /** Past the only-schedulable rule and pool budgets (mesh.admin, with `confirm`). */
  readonly force?: boolean;
}

export interface UncordonInput {
  /** Defaults to the principal's id. */
  readonly owner?: string;
}

export interface DrainInput {
  /** Relative deadline; the registry's default applies when neither form is given. */
  readonly deadlineMs?: number;
  /** Absolute deadline, epoch ms. */
  readonly deadline?: number;
  readonly reason: string;
  readonly ticket?: string;
  /** Roles to drain; all of the peer's roles by default. */
  readonly roles?: readonly string[];
  /** Past a pool budget; needs mesh.admin, a reason and `confirm`. */
  readonly force?: boolean;
}

export interface ResumeInput {
  readonly reason?: string;
  readonly ticket?: string;
}
