import { describe, expect, it } from "vitest";
import { parseSettings } from "../../src/commands/config.ts";

describe("config set values", () => {
  it("reads numbers and booleans as such and everything else as text", () => {
    expect(parseSettings(["a=600000", "b=true", "c=false", "d=eu-west", "e=1.5", "f="])).toEqual({ a: 600000, b: true, c: false, d: "eu-west", e: 1.5, f: "" });
  });

  it("refuses a pair without a key", () => {
    expect(() => parseSettings(["=1"])).toThrow(/expected key=value/);
  });
});
