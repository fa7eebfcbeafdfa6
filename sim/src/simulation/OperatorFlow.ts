import { pick, span } from "../model/sample.ts";
import type { ScenarioAction, Span } from "../scenario/types.ts";
import { type Operator } from "./types.ts";
import { DrainFlow } from "./DrainFlow.ts";

/** The operators of a scenario's actions: concurrent drains, per-pool rolling upgrades, cordons and named drains. */
export abstract class OperatorFlow extends DrainFlow {
  // ---- operators -------------------------------------------------------------------

  protected startActions(actions: readonly ScenarioAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case "rolling-upgrade":
          if ((a.controller ?? "rollout") === "rollout") {
            this.rollouts++;
            this.engine.at(a.at, this.K.rollout!, this.rolloutActions.push(a) - 1);
            break;
          }
          for (let p = 0; p < this.fleet.members.length; p++) {
            const op = this.operator("rolling", `rollout-${this.fleet.pools[p]!.name}`, a.upgradeMs, undefined, a.retryMs ?? { min: 500, max: 2_000 });
            // A node whose pools admit no drain at all can never be upgraded: say so now instead of asking until durationMs.
            op.queue = Array.from(this.fleet.members[p]!).filter((node) => {
              const why = this.noRoom(node);
              if (why !== undefined) this.blocked.push({ node: this.fleet.ids[node]!, ...why });
              return why === undefined;
            });
            op.remaining = op.queue.length;
            this.engine.at(a.at, this.K.operator!, op.id);
          }
          break;
        case "concurrent-drains": {
          const stuck = this.nothingDrains();
          for (let i = 0; i < a.operators; i++) {
            const op = this.operator("drains", `operator-${i}`, a.holdMs, a.holdMs, a.retryMs);
            op.remaining = a.drainsPerOperator;
            if (stuck !== undefined) {
              this.blocked.push({ node: `(any, for operator-${i})`, ...stuck });
              op.done = true;
              this.operatorsDone++;
              continue;
            }
            this.engine.at(a.at, this.K.operator!, op.id);
          }
          break;
        }
        case "drain":
          this.openDrains++; // held until the action has asked for every node
          this.engine.at(a.at, this.K.drainAction!, this.drainActions.push(a) - 1);
          break;
        case "cordons":
          for (const owner of a.owners) {
            const op = this.operator("cordons", owner, undefined, a.holdMs, undefined);
            op.queue = pick(this.random, this.fleet.size, a.nodesPerOwner);
            op.remaining = op.queue.length;
            this.engine.at(a.at, this.K.operator!, op.id);
          }
          break;
      }
    }
  }

  /**
   * Why no drain of `node` can ever be admitted, in the guard's own words: the
   * guard is asked about it with every member of its pools active and up (the
   * most room there can ever be; crashes and other drains only take room
   * away), and its refusal, with its reason, is what blocks the node.
   */
  protected noRoom(node: number): { reason: string; pool: string } | undefined {
    const f = this.fleet;
    const best = f.guardView(node).nodes.map((m) => ({ id: m.id, pools: m.pools, phase: "active", roles: Object.fromEntries(Object.keys(m.roles ?? {}).map((r) => [r, "active"])), healthy: true }));
    const decision = this.guard.admit({ nodes: best }, { kind: "drain", node: f.ids[node]! });
    if (decision.outcome === "allowed") return undefined;
    const pool = decision.pools.find((p) => p.availableAfter < p.required || p.schedulableAfter < p.requiredSchedulable)?.pool ?? f.pools[f.poolOf[node]!]!.name;
    return { reason: `the guard refuses it even with every member of its pools active: ${decision.error.message}`, pool };
  }

  /** Why no node of the fleet can ever be drained, when that is so. */
  protected nothingDrains(): { reason: string; pool: string } | undefined {
    let first: { reason: string; pool: string } | undefined;
    for (let node = 0; node < this.fleet.size; node++) {
      const why = this.noRoom(node);
      if (why === undefined) return undefined;
      first ??= why;
    }
    return first;
  }

  protected operator(kind: Operator["kind"], name: string, upgradeMs: Span | undefined, holdMs: Span | undefined, retryMs: Span | undefined): Operator {
    const op: Operator = { id: this.operators.length, kind, name, queue: [], remaining: 0, busy: 0, holdMs, retryMs, upgradeMs, done: false };
    this.operators.push(op);
    return op;
  }

  protected done(op: Operator): void {
    if (op.done) return;
    op.done = true;
    this.workDoneAt = Math.max(this.workDoneAt, this.engine.now);
    this.operatorsDone++;
  }

  protected operatorStep(id: number): void {
    const op = this.operators[id]!;
    if (op.done) return;
    switch (op.kind) {
      case "drains":
        return this.drainsStep(op);
      case "rolling":
        return this.rollingStep(op);
      case "cordons":
        return this.cordonsStep(op);
    }
  }

  protected drainsStep(op: Operator): void {
    if (op.busy > 0) return;
    if (op.remaining === 0) {
      this.done(op);
      return;
    }
    const node = this.random.int(0, this.fleet.size - 1);
    if (this.requestDrain(node, op) === "started") {
      op.busy++;
      op.remaining--;
      op.lastRefusal = undefined;
    } else {
      op.lastRefusal = { node: this.fleet.ids[node]!, ...this.refusal };
      this.engine.schedule(span(this.random, op.retryMs, 1_000), this.K.operator!, op.id);
    }
  }

  /** A rolling upgrade of one pool: drain as many members as the guard admits, the next as soon as one is back. */
  protected rollingStep(op: Operator): void {
    for (;;) {
      if (op.queue.length === 0) {
        if (op.busy === 0) this.done(op);
        return;
      }
      const node = op.queue[0]!;
      if (this.fleet.up[node] === 0 || this.drains[node] !== undefined) {
        // Crashed or held by another operator: come back to it later.
        op.queue.push(op.queue.shift()!);
        if (op.busy === 0) this.engine.schedule(span(this.random, op.retryMs, 1_000), this.K.operator!, op.id);
        return;
      }
      if (this.requestDrain(node, op) !== "started") {
        op.lastRefusal = { node: this.fleet.ids[node]!, ...this.refusal };
        if (op.busy === 0) this.engine.schedule(span(this.random, op.retryMs, 1_000), this.K.operator!, op.id);
        return;
      }
      op.queue.shift();
      op.busy++;
      op.lastRefusal = undefined;
    }
  }

  protected cordonsStep(op: Operator): void {
    const node = op.queue.shift();
    if (node === undefined) {
      this.done(op);
      return;
    }
    const id = this.fleet.ids[node]!;
    const decision = this.guard.admit(this.fleet.guardView(node), { kind: "cordon", node: id });
    if (decision.outcome === "allowed") {
      this.registry(node, { type: "cordon", owner: op.name, reason: "maintenance window" }, false);
      if (this.controlPlaneUp && this.fleet.phase(node) === "cordoned") this.scheduler.setSchedulable(id, false);
      this.cordoned++;
      this.trace("cordon", { node: id, owner: op.name });
      this.engine.schedule(span(this.random, op.holdMs, 10_000), this.K.uncordon!, node, op.id);
    } else {
      // The owner is told no and moves on to its next node: the report counts the refusal, with the guard's reason.
      const pool = decision.pools.find((p) => p.schedulableAfter < p.requiredSchedulable || p.availableAfter < p.required)?.pool;
      this.cordonRefusals.push({ node: id, owner: op.name, reason: decision.error.message, ...(pool === undefined ? {} : { pool }) });
      this.trace("cordon-refused", { node: id, owner: op.name, ...(pool === undefined ? {} : { pool }) });
    }
    this.engine.schedule(1, this.K.operator!, op.id);
  }

  protected uncordon(node: number, opId: number): void {
    const op = this.operators[opId]!;
    // Refused while a drain holds the role; the owner tries again later (resume clears it anyway).
    const phase = this.fleet.phase(node);
    if (phase === "draining" || phase === "drained" || phase === "failed") {
      this.engine.schedule(span(this.random, op.holdMs, 10_000), this.K.uncordon!, node, opId);
      return;
    }
    this.registry(node, { type: "uncordon", owner: op.name }, true);
    if (this.controlPlaneUp && this.fleet.phase(node) === "active" && this.fleet.up[node] === 1) this.scheduler.setSchedulable(this.fleet.ids[node]!, true);
    this.trace("uncordon", { node: this.fleet.ids[node], owner: op.name });
  }

  // ---- a drain of named nodes ----------------------------------------------------------

  /**
   * Asks for each named node once, in order, as `drainctl peers drain a b`
   * does: the guard sees the earlier ones draining when it judges the later
   * ones. A refusal is reported as blocked; a drained node stays drained.
   */
  protected startDrainAction(a: Extract<ScenarioAction, { type: "drain" }>): void {
    const op = this.operator("drains", "drain", undefined, undefined, undefined);
    const settle = (): void => {
      if (op.busy === 0) this.done(op);
    };
    for (const id of a.nodes) {
      const node = this.nodeIndex(id);
      if (node < 0) {
        this.blocked.push({ node: id, reason: "no such node in the fleet" });
        continue;
      }
      const started = this.requestDrain(
        node,
        op,
        () => {
          // Held drained: it leaves the count of open drains without being resumed.
          this.openDrains--;
          op.busy--;
          settle();
        },
        a.force,
      );
      if (started === "started") op.busy++;
      else this.blocked.push({ node: id, ...this.refusal });
    }
    this.openDrains--;
    settle();
  }

}
