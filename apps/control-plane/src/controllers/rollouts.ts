import { isDrainkitError, pages, RolloutController, type Clock, type Logger, type RolloutDrainResult, type RolloutEvent, type RolloutHooks, type TimerHandle } from "@drainkit/core";
import { type ChangeFeed, type ConfigStore, type DrainReader, type DrainWriter, fleetNodeOf, livenessWindow, type Peer, type PeerReader, peerVersion, type PoolStore, type Principal, type Rollout, rolloutActive, type RolloutNodeStep, type RolloutStep, type RolloutStore } from "@drainkit/registry";

/** Settings of {@link startRollouts}. */
export interface RolloutRunnerOptions {
  /** Reads peers, the heartbeat setting and the stored pool budgets (every wave is sized and admitted by them), cordons, drains and resumes nodes, records each rollout step, follows the change feed. */
  readonly registry: PeerReader & ConfigStore & DrainReader & DrainWriter & RolloutStore & ChangeFeed & Pick<PoolStore, "poolBudgets">;
  readonly clock: Clock;
  /** The control plane's own principal (needs mesh.operate). */
  readonly principal: Principal;
  readonly logger: Logger;
  /** How often a waiting step re-reads the peer besides reacting to its changes. Default 1 s. */
  readonly pollMs?: number;
  /** How often a resumed node is checked for a fresh heartbeat. Default 250 ms. */
  readonly healthIntervalMs?: number;
  /** Wait before re-planning when no node can be admitted now. Default 5 s. */
  readonly retryDelayMs?: number;
  /** Called when the change feed ends with an error: operator verbs would go unseen (restart the runner). */
  readonly onFeedLost?: (error: Error) => void;
  /** A node taken after every other node of a rollout: this leader's own peer (it hands over, then drains). */
  readonly last?: string;
}

/** The leader's rollout runner. */
export interface RolloutRunner {
  /** Ids of the rollouts this leader is driving now. */
  running(): readonly string[];
  stop(): void;
}

/** Steps after which the node was already drained when an earlier leader stood down. */
const PAST_DRAIN: ReadonlySet<RolloutNodeStep> = new Set(["drained", "upgrading", "resuming"]);

class LeadershipLost extends Error {
  constructor() {
    super("leadership lost; the next leader continues this rollout");
  }
}

/** A wait that reached its deadline. */
class WaitTimedOut extends Error {}

/** Refusals of the registry's capacity guard: the node is deferred, never failed. */
const CAPACITY_REFUSALS: ReadonlySet<string> = new Set(["pool-depletion", "only-schedulable-node"]);

/**
 * The leader-only half of rolling upgrades. It drives core's
 * `RolloutController` with hooks that act through the registry only: cordon
 * (owner `rollout`), drain under a fresh registry epoch with the rollout's
 * deadline, wait for the agent to report the drain done (registry watch), the
 * upgrade step (a recorded no-op, or waiting for the peer to report the new
 * version with `awaitVersion`), resume, and healthy = a heartbeat reported
 * after the resume. Every step is recorded on the rollout (`rolloutStep`,
 * audited) and so streamed on /control/events.
 *
 * The rollout lives in the store, not here: on election the runner picks up
 * every rollout still running, paused or aborting and continues with the
 * nodes not yet healthy or failed; a node the old leader had already drained
 * is not drained again. Operator verbs (pause, resume, abort) reach it through
 * the same watch, on whichever replica they were sent to.
 */
export async function startRollouts(options: RolloutRunnerOptions): Promise<RolloutRunner> {
  const { registry, clock, principal, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const runners = new Map<string, { sync(r: Rollout): void }>();
  const finished = new Set<string>();
  const listeners = new Map<string, Set<() => void>>();
  const cancels = new Set<() => void>();
  let stopped = false;

  const getPeer = async (id: string): Promise<Peer> => (await registry.getPeer(principal, id)).peer;
  const staleAfterMs = async (): Promise<number> => livenessWindow((await registry.getConfig(principal)).values);
  const allPeers = async (): Promise<Peer[]> => {
    const out: Peer[] = [];
    for await (const page of pages((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor ? { cursor } : {}) }))) out.push(...page.items);
    return out;
  };

  /**
   * Resolves with the first defined answer of `check`, evaluated now, on every
   * change of `peer` and every `pollMs`; rejects past `until` (epoch ms) or
   * when leadership is lost.
   */
  const waitFor = <T>(peer: string, check: () => Promise<T | undefined>, until: number, timeout: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let done = false;
      let busy = false;
      let again = false;
      let timer: TimerHandle | undefined;
      const finish = (): void => {
        done = true;
        listeners.get(peer)?.delete(evaluate);
        cancels.delete(cancel);
        if (timer !== undefined) clock.clearTimer(timer);
      };
      const cancel = (): void => {
        finish();
        reject(new LeadershipLost());
      };
      const evaluate = (): void => {
        if (done) return;
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        void (async () => {
          try {
            do {
              again = false;
              const v = await check();
              if (done) return;
              if (v !== undefined) {
                finish();
                resolve(v);
                return;
              }
            } while (again);
            if (clock.now() > until) {
              finish();
              reject(new WaitTimedOut(timeout));
            }
          } catch (e) {
            finish();
            reject(e instanceof Error ? e : new Error(String(e)));
          } finally {
            busy = false;
          }
        })();
      };
      const tick = (): void => {
        evaluate();
        if (!done) timer = clock.setTimer(pollMs, tick);
      };
      let set = listeners.get(peer);
      if (set === undefined) listeners.set(peer, (set = new Set()));
      set.add(evaluate);
      cancels.add(cancel);
      tick();
    });

  const run = (r: Rollout, staleAfter: number): { sync(r: Rollout): void } => {
    const id = r.id;
    const why = `rolling upgrade ${id} to ${r.version}: ${r.reason}`;
    const ticket = r.ticket === undefined ? {} : { ticket: r.ticket };
    const earlier = new Map(Object.entries(r.nodes).map(([n, s]) => [n, s.step]));
    const failedBefore = [...earlier.values()].filter((s) => s === "failed").length;
    const pending = Object.entries(r.nodes).filter(([, s]) => s.step !== "healthy" && s.step !== "failed").map(([n]) => n);
    /** Each node's step as last recorded by this runner (or the leader before it). */
    const current = new Map(earlier);
    const epochs = new Map<string, number>();
    const waves = new Map<string, number>();
    /** The version each node last reported, recorded with its steps. */
    const versions = new Map<string, string>();
    const seenVersion = (p: Peer): void => {
      const v = peerVersion(p);
      if (v !== undefined) versions.set(p.id, v);
    };
    // Records written before verify existed carry awaitVersion (false unless asked): they keep their old meaning.
    const verify = r.settings.verify ?? false;
    let syncing = false;
    let writes: Promise<unknown> = Promise.resolve();
    const write = (step: RolloutStep): void => {
      if (stopped) return;
      if ("node" in step) current.set(step.node, step.step);
      writes = writes.then(() =>
        registry.recordRolloutStep(principal, id, step, { reason: why }).catch((e: unknown) => {
          logger.warn({ rollout: id, step, err: e instanceof Error ? e.message : String(e) }, "could not record a rollout step");
        }),
      );
    };
    /**
     * Before each effect, the steps so far must be in the store: a leader that
     * dies right after resuming a node must not leave a record that still says
     * "draining" (the next leader would drain it again).
     */
    const live = async (): Promise<void> => {
      if (stopped) throw new LeadershipLost();
      await writes;
      if (stopped) throw new LeadershipLost();
    };
    const alreadyDrained = (node: string): boolean => PAST_DRAIN.has(earlier.get(node) ?? "pending");

    const hooks: RolloutHooks = {
      cordon: async (node) => {
        await live();
        if (alreadyDrained(node) && (await getPeer(node)).phase !== "draining") return;
        await registry.cordon(principal, node, { owner: "rollout", reason: why, ...ticket }, { reason: why, ...ticket });
      },
      drain: async (node, _epoch, deadline): Promise<RolloutDrainResult> => {
        await live();
        const before = await getPeer(node);
        seenVersion(before);
        if (alreadyDrained(node) && (before.phase === "active" || before.phase === "drained")) {
          epochs.set(node, before.epoch);
          return { status: "drained" };
        }
        let out;
        try {
          out = await registry.drain(principal, node, { reason: why, deadline, ...ticket }, { reason: why, ...ticket });
        } catch (e) {
          // The registry's guard saw no room (the fleet changed since the wave was admitted): not a failure of the node.
          if (isDrainkitError(e) && CAPACITY_REFUSALS.has(e.code)) return { status: "deferred", failure: e.message };
          throw e;
        }
        const epoch = out.value.epoch;
        epochs.set(node, epoch);
        write({ node, step: "draining", epoch, ...(waves.has(node) ? { wave: waves.get(node)! } : {}) });
        let shown = "";
        return waitFor<RolloutDrainResult>(
          node,
          async () => {
            const s = await registry.drainStatus(principal, node);
            if (s.status === "none" || s.epoch !== epoch) return { status: "failed", failure: `drain epoch ${epoch} was ended by someone else (now ${s.status}, epoch ${s.epoch})` };
            if (s.status === "drained") return { status: "drained" };
            if (s.status === "failed") return { status: "failed", failure: s.reason ?? "the drain failed" };
            // The remaining counts (in flight, workload owners and children the agent reports) go on the rollout for live progress.
            // The host's own word on why it waits (a control-plane replica that must keep leading) goes along.
            const left = `${s.remaining.inFlight} in flight, ${s.remaining.owners} owners, ${s.remaining.children} children left${s.reason === undefined ? "" : `: ${s.reason}`}`;
            if (left !== shown) {
              shown = left;
              write({ node, step: "draining", epoch, reason: left });
            }
            return undefined;
          },
          // The deadline controller fails a late drain; this only guards against it being gone too.
          deadline + 10_000,
          `drain of ${node} (epoch ${epoch}) did not finish by its deadline`,
        );
      },
      upgrade: async (node, deadline) => {
        await live();
        if (earlier.get(node) === "resuming" || !verify) return;
        // The host's tooling upgrades the drained node; it is resumed once its agent reports the target version.
        // At the deadline it is resumed anyway, and core's assessUpgrade fails it with the version it reports.
        const reported = async (): Promise<true | undefined> => {
          const p = await getPeer(node);
          seenVersion(p);
          return peerVersion(p) === r.version ? true : undefined;
        };
        await waitFor(node, reported, deadline, `${node} did not report version ${r.version}`).catch((e: unknown) => {
          if (!(e instanceof WaitTimedOut)) throw e;
        });
      },
      resume: async (node) => {
        await live();
        const out = await registry.resume(principal, node, { reason: why, ...ticket }, { reason: why, ...ticket });
        return out.value.updatedAt;
      },
      release: async (node) => {
        await live();
        await registry.uncordon(principal, node, { owner: "rollout" }, { reason: `${why} (the node did not drain; its cordon is given back)`, ...ticket });
      },
      observe: async (node) => {
        await live();
        const p = await getPeer(node);
        seenVersion(p);
        return { version: peerVersion(p), live: p.liveness === "live", phase: p.phase, reportedAt: p.status?.heartbeatAt };
      },
    };

    const onEvent = (e: RolloutEvent): void => {
      if (stopped) return;
      if (e.type === "rollout-node") {
        waves.set(e.node, e.wave);
        if (e.phase === "draining") return; // the drain hook records it with the registry's epoch
        const epoch = epochs.get(e.node);
        const version = versions.get(e.node);
        write({ node: e.node, step: e.phase, wave: e.wave, ...(epoch === undefined ? {} : { epoch }), ...(e.reason === undefined ? {} : { reason: e.reason }), ...(version === undefined ? {} : { version }) });
      } else if (e.type === "rollout-paused") {
        if (!syncing) write({ state: "paused", reason: e.reason });
      } else if (e.type === "rollout-blocked") {
        logger.info({ rollout: id, attempt: e.attempt, blocked: e.blocked.map((b) => b.node) }, "no node of the rollout can drain now; retrying");
      }
    };

    const controller = new RolloutController({
      clock,
      pools: () => registry.poolBudgets(),
      fleet: async () => ({ nodes: (await allPeers()).map((p) => fleetNodeOf(p, staleAfter, clock.now())) }),
      hooks,
      maxParallel: r.settings.maxParallel,
      failureThreshold: r.settings.failureThreshold,
      drainTimeoutMs: r.settings.drainTimeoutMs,
      healthTimeoutMs: r.settings.healthTimeoutMs,
      minHealthyMs: r.settings.minHealthyMs ?? 0,
      verify,
      healthIntervalMs: options.healthIntervalMs ?? 250,
      retryDelayMs: options.retryDelayMs ?? 5000,
      owner: "rollout",
      events: { emit: onEvent },
    });

    /**
     * On abort, every cordon the rollout still holds is given back: each node
     * of the rollout that is cordoned by owner `rollout` and has not started
     * draining (here or under the leader before), whatever step was recorded.
     * A drained or failed node keeps its drain for an operator.
     */
    const releaseCordons = async (): Promise<void> => {
      await writes;
      for (const node of Object.keys(r.nodes)) {
        const peer = await getPeer(node).catch(() => undefined);
        const held = peer !== undefined && peer.spec.cordons["rollout"] !== undefined && peer.phase === "cordoned";
        if (!held && current.get(node) !== "cordoned") continue;
        try {
          if (held) await registry.uncordon(principal, node, { owner: "rollout" }, { reason: `${why} (aborted)`, ...ticket });
          write({ node, step: "pending", reason: "rollout aborted before this node drained; its cordon was removed" });
        } catch (e) {
          logger.warn({ rollout: id, node, err: e instanceof Error ? e.message : String(e) }, "could not remove the rollout's cordon after abort");
        }
      }
    };

    // Only a change of the recorded state is an operator's word; the runner's own step writes carry the old state along.
    let seen: Rollout["state"] | undefined;
    const sync = (next: Rollout): void => {
      if (next.state === seen) return;
      seen = next.state;
      syncing = true;
      try {
        if (next.state === "paused") controller.pause(next.stateReason ?? "paused by operator");
        else if (next.state === "running") controller.resume();
        else if (next.state === "aborting") controller.abort();
      } finally {
        syncing = false;
      }
    };

    logger.info({ rollout: id, version: r.version, pending: pending.length, state: r.state }, earlier.size === pending.length ? "starting rollout" : "continuing rollout where the last leader left it");
    void controller
      .start({ version: r.version, nodes: options.last === undefined ? pending : [...pending.filter((n) => n !== options.last), ...pending.filter((n) => n === options.last)] })
      .then(async (result) => {
        if (stopped) return;
        if (result.status === "aborted") await releaseCordons();
        for (const b of result.blocked) write({ node: b.node, step: "pending", reason: b.detail });
        const short = result.failed.length + failedBefore + result.blocked.length;
        const state = result.status === "aborted" ? "aborted" : short === 0 ? "completed" : "incomplete";
        const reason =
          state === "completed" ? undefined : state === "aborted" ? "aborted by operator" : `${result.failed.length + failedBefore} failed, ${result.blocked.length} blocked`;
        write({ state, ...(reason === undefined ? {} : { reason }) });
        logger.info({ rollout: id, state, upgraded: result.upgraded.length, failed: result.failed.length, blocked: result.blocked.length }, "rollout finished");
      })
      .catch((e: unknown) => {
        if (stopped) return;
        logger.error({ rollout: id, err: e instanceof Error ? e.message : String(e) }, "rollout runner failed");
        write({ state: "incomplete", reason: `the runner failed: ${e instanceof Error ? e.message : String(e)}` });
      })
      .finally(() => {
        // Changes of its last steps still arrive after this; they must not start it again.
        finished.add(id);
        runners.delete(id);
      });
    sync(r);
    return { sync };
  };

  const observe = async (r: Rollout): Promise<void> => {
    const runner = runners.get(r.id);
    if (runner !== undefined) {
      runner.sync(r);
      return;
    }
    if (!rolloutActive(r) || stopped || finished.has(r.id)) return;
    // Claim the id before the first await, so two changes in a row start it once.
    const pendingSync: Rollout[] = [];
    runners.set(r.id, { sync: (next) => pendingSync.push(next) });
    try {
      const started = run(r, await staleAfterMs());
      runners.set(r.id, started);
      for (const next of pendingSync) started.sync(next);
    } catch (e) {
      runners.delete(r.id);
      logger.error({ rollout: r.id, err: e instanceof Error ? e.message : String(e) }, "could not start the rollout; will retry on its next change");
    }
  };

  const { revision } = await registry.listPeers(principal, { limit: 1 });
  const watch = registry.watchAll(
    revision,
    (change) => {
      if (stopped) return;
      if (change.kind === "peer") for (const l of [...(listeners.get(change.id) ?? [])]) l();
      else if (change.kind === "rollout" && change.value !== undefined) void observe(change.value as Rollout);
    },
    (error) => {
      logger.warn({ err: error.message }, "rollout runner lost the change feed; waiting steps fall back to polling");
      if (!stopped) options.onFeedLost?.(error);
    },
  );
  let resumed = 0;
  for (const r of await registry.listRollouts(principal)) {
    if (!rolloutActive(r)) continue;
    resumed++;
    await observe(r);
  }
  logger.info({ rollouts: resumed }, "rollouts rebuilt from the store");

  return {
    running: () => [...runners.keys()],
    stop() {
      stopped = true;
      watch.close();
      for (const cancel of [...cancels]) cancel();
    },
  };
}
