// @ts-nocheck
import { describe, expect, it } from "vitest";
import { roundRobin } from "../../src/index.ts";
import { fakeView as view } from "./fakeView.ts";

describe("roundRobin", () => {
  it("round robin keeps its place when a member leaves", () => {
    const v = view({ a: "active", b: "active", c: "active" });
    const rr = roundRobin();
    expect([rr.pick(v, undefined)!.id, rr.pick(v, undefined)!.id]).toEqual(["a", "b"]);
    v.set("a", "draining");
    expect([rr.pick(v, undefined)!.id, rr.pick(v, undefined)!.id]).toEqual(["b", "c"]);
  });
});
