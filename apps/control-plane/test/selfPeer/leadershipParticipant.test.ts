import { describe, expect, it } from "vitest";
import { silentLogger } from "@drainkit/core";
import { flushMicrotasks, SimulatedClock } from "@drainkit/core/testing";
import { createLeadershipParticipant } from "../../src/selfPeer/leadershipParticipant.ts";

/** A replica's election as the participant sees it, moved by hand. */
function world(self: string) {
  const calls: string[] = [];
  const state = { leading: true, leader: self as string | undefined, liveOthers: 2, eligibleOthers: 2, standing: true };
  const elector = {
    get leading() {
      return state.leading;
    },
    stand(on: boolean) {
      if (on !== state.standing) calls.push(on ? "stand" : "stand down");
      state.standing = on;
    },
    handOver() {
      calls.push("hand over");
      state.leading = false;
      state.leader = undefined;
    },
  };
  return { state, calls, elector };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await flushMicrotasks();
};

describe("the leadership drain participant", () => {
  it("a leader stops campaigning, hands over, and holds the drain until another replica leads; resume stands again", async () => {
    const clock = new SimulatedClock();
    const { state, calls, elector } = world("cp-1");
    const p = createLeadershipParticipant({
      self: "cp-1",
      elector,
      clock,
      logger: silentLogger,
      leader: async () => state.leader,
      replicas: async () => ({ liveOthers: state.liveOthers, eligibleOthers: state.eligibleOthers }),
    });
    let idle = 0;
    p.onIdle(() => idle++);
    expect(p.inFlight()).toBe(0);
    await p.drain(new AbortController().signal);
    expect(calls).toEqual(["stand down", "hand over"]);
    expect(p.inFlight()).toBe(1);
    expect(p.waiting()).toContain("handed leadership over");

    state.leader = "cp-2";
    clock.advance(500);
    await settle();
    expect(p.inFlight()).toBe(0);
    expect(idle).toBe(1);
    expect(p.waiting()).toBeUndefined();

    await p.resume();
    expect(calls).toEqual(["stand down", "hand over", "stand"]);
  });

  it("when only draining replicas are left it keeps leading and says why, then hands over once one can lead", async () => {
    const clock = new SimulatedClock();
    const { state, calls, elector } = world("cp-1");
    state.eligibleOthers = 0;
    const p = createLeadershipParticipant({
      self: "cp-1",
      elector,
      clock,
      logger: silentLogger,
      leader: async () => state.leader,
      replicas: async () => ({ liveOthers: state.liveOthers, eligibleOthers: state.eligibleOthers }),
    });
    await p.drain(new AbortController().signal);
    // Still standing and leading: nobody else may lead.
    expect(calls).toEqual([]);
    expect(state.leading).toBe(true);
    expect(p.inFlight()).toBe(1);
    expect(p.waiting()).toContain("only draining control-plane replicas are left");

    for (let i = 0; i < 5; i++) {
      clock.advance(500);
      await settle();
    }
    expect(state.leading).toBe(true);

    state.eligibleOthers = 1;
    clock.advance(500);
    await settle();
    expect(calls).toEqual(["stand down", "hand over"]);
    state.leader = "cp-3";
    clock.advance(500);
    await settle();
    expect(p.inFlight()).toBe(0);
    await p.resume();
  });
});
