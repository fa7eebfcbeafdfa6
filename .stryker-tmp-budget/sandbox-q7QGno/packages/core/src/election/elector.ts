/**
 * The elector rules of a control-plane replica that is also a peer: whether
 * it campaigns, whether it hands leadership over, and when its leadership
 * is drained. Pure: the server (and the simulator) gathers the view and acts
 * on the decision.
 */
// @ts-nocheck


/** What a replica knows when it decides. */
export interface ElectorView {
  /** This replica's candidate id. */
  readonly self: string;
  /** A drain of this replica is in progress or done (its gates are closed). */
  readonly draining: boolean;
  /** This replica holds the lease and runs the fleet controllers. */
  readonly leading: boolean;
  /** The replica the election names now, as last read (undefined: none known). */
  readonly leader: string | undefined;
  /** Other live replicas that are not draining: the ones that could take over. */
  readonly eligibleOthers: number;
  /** Other live replicas, draining or not. */
  readonly liveOthers: number;
}

/** Why a drained replica's leadership part is not done yet. */
export type ElectorWait = "handing-over" | "only-draining-candidates";

/** What the replica does now. */
export interface ElectorDecision {
  /** Stand (or keep standing) in the election. */
  readonly campaign: boolean;
  /** End this replica's term now so another replica is elected. */
  readonly resign: boolean;
  /** The leadership part of the drain is done: another replica leads, or no replica is there to lead. */
  readonly released: boolean;
  /** Set while a draining replica's leadership part waits. */
  readonly waiting?: ElectorWait;
  /** For people: why it waits (reported as the drain's reason). */
  readonly detail?: string;
}

/**
 * The rules (Drain Capture plan, task 10):
 * - a replica that is not draining campaigns;
 * - a draining replica does not campaign, unless no replica leads and no
 *   eligible one is left (then one of the draining ones must lead);
 * - a draining leader resigns once another eligible replica is live, and its
 *   drain waits until another replica leads;
 * - when only draining candidates are left, the leader keeps leading and the
 *   drain waits, saying so;
 * - a replica with no other live replica has nobody to hand over to: it
 *   keeps leading and its leadership part is done at once (the lease goes
 *   when it stops).
 *
 * @example
 * electorDecision({ self: "cp-1", draining: true, leading: true, leader: "cp-1", eligibleOthers: 2, liveOthers: 2 });
 * // { campaign: false, resign: true, released: false, waiting: "handing-over", detail: "…" }
 */
export function electorDecision(view: ElectorView): ElectorDecision {
  if (!view.draining) return { campaign: true, resign: false, released: true };
  const otherLeads = view.leader !== undefined && view.leader !== view.self && !view.leading;
  if (otherLeads) return { campaign: false, resign: false, released: true };
  // Alone: it keeps (or takes) the lead, and nothing is worth waiting for; the lease goes when it stops.
  if (view.liveOthers === 0) return { campaign: view.leading || view.leader === undefined, resign: false, released: true };
  if (view.eligibleOthers === 0) {
    return {
      // Nobody else may lead: one draining replica keeps (or takes) the lead.
      campaign: view.leading || view.leader === undefined,
      resign: false,
      released: false,
      waiting: "only-draining-candidates",
      detail: `only draining control-plane replicas are left (${view.liveOthers} other live, none eligible): ${view.self} ${view.leading ? "keeps leading" : "waits"} until a replica that is not draining can lead`,
    };
  }
  return {
    campaign: false,
    resign: view.leading,
    released: false,
    waiting: "handing-over",
    detail: `${view.self} handed leadership over and waits until one of ${view.eligibleOthers} eligible replica(s) leads`,
  };
}
