import { describe, expect, it } from "vitest";
import { parseLabelChanges } from "../../src/commands/peers.ts";

describe("label changes", () => {
  it("sets with key=value and removes with key-, as kubectl label does", () => {
    expect(parseLabelChanges(["zone=b", "team-", "note=a=b", "empty="])).toEqual({ zone: "b", team: null, note: "a=b", empty: "" });
  });

  it("refuses what is neither", () => {
    expect(() => parseLabelChanges(["zone"])).toThrow(/key=value to set or key- to remove/);
    expect(() => parseLabelChanges([])).toThrow(/at least one label change/);
  });
});
