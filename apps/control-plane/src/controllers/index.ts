/**
 * `@drainkit/control-plane/controllers`: the leader's fleet controllers and
 * the election they run under, without the HTTP server (no Fastify), for
 * embedding them on a clock of your own (the simulator's full-stack mode).
 */
export { startLeaderControllers, CONTROLLER, type LeaderControllersOptions } from "./leaderControllers.ts";
export { Leadership, ELECTION, type LeadershipOptions, type LeaderWork, type LeaderTerm } from "../leadership.ts";
export { fencedStore } from "../fencedStore.ts";
