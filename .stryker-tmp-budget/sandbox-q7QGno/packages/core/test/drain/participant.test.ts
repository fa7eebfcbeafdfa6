// @ts-nocheck
import { describe, expect, it } from "vitest";
import { createCountingParticipant, GateClosedError } from "../../src/index.ts";

describe("createCountingParticipant", () => {
  it("counts admitted work, refuses new work once drained and notifies idle listeners at zero", async () => {
    const api = createCountingParticipant("api");
    let idle = 0;
    const stop = api.onIdle(() => idle++);
    expect(api.begin()).toBe(true);
    expect(api.begin()).toBe(true);
    void api.drain(new AbortController().signal);
    expect(api.begin()).toBe(false);
    expect(api.inFlight()).toBe(2);
    api.end();
    expect(idle).toBe(0);
    api.end();
    expect(idle).toBe(1);
    await expect(api.track(async () => "x")).rejects.toBeInstanceOf(GateClosedError);
    void api.resume();
    await expect(api.track(async () => "ok")).resolves.toBe("ok");
    expect(idle).toBe(2);
    stop();
    api.begin();
    api.end();
    expect(idle).toBe(2);
  });

  it("refuses end() without a matching begin()", () => {
    expect(() => createCountingParticipant("api").end()).toThrow(RangeError);
  });

  it("GateClosedError tells the caller to retry elsewhere", () => {
    const e = new GateClosedError("api");
    expect(e).toMatchObject({ code: "gate-closed", retryable: true });
    expect(e.message).toMatch(/another node/);
  });
});
