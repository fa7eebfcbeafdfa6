/** Which workloads a peer holds, as its agent reports them. */
// @ts-nocheck


/** One workload a peer holds, as its agent reports it. */
export interface PlacedWorkload {
  readonly id: string;
  /** The owner workload; absent for an owner. */
  readonly owner?: string;
}

/**
 * Which workloads a peer holds, as its agent last reported them. Stored under
 * its own key (`placement/<peer>`) and rewritten only when the list changes,
 * so a heartbeat repeating the same placement writes nothing but the peer's
 * small status.
 *
 * @example
 * const { items, version } = await registry.getPlacement(reader, "node-a");
 */
export interface Placement {
  readonly peer: string;
  /** As reported, in report order. */
  readonly items: readonly PlacedWorkload[];
  /** Bumped each time the list changes; 0 when never reported. */
  readonly version: number;
  /** Epoch ms of the report that changed it (registry clock); 0 when never reported. */
  readonly updatedAt: number;
}

/** One entry of `watchAll` for a peer's placement (`kind: "placement"`); `value` is undefined once deleted. */
export interface PlacementChange {
  readonly revision: number;
  readonly kind: "placement";
  /** The peer id. */
  readonly id: string;
  readonly value: Placement | undefined;
}
