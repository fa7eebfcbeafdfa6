// @ts-nocheck
// Each area of core adds its own bench file and one import line here; the
// imports run in order, each printing JSON lines through @drainkit/bench.
import "./lifecycle.ts";
import "./state.ts";
import "./drain.ts";
import "./budget.ts";
import "./scheduler.ts";
import "./rollout.ts";
