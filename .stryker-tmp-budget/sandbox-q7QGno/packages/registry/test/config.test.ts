// @ts-nocheck
import { describe, expect, it } from "vitest";
import { applyConfigPatch, configDefaults, validateSetting } from "../src/config.ts";
import { defaultConfigSchema } from "../src/index.ts";

describe("config allow-list", () => {
  it("validates each kind of setting against its schema", () => {
    expect(validateSetting("n", { type: "integer", min: 1, max: 5, default: 1, description: "" }, 3)).toBe(3);
    expect(() => validateSetting("n", { type: "integer", min: 1, default: 1, description: "" }, 1.5)).toThrow(/whole number/);
    expect(() => validateSetting("s", { type: "string", pattern: "^[a-z]+$", default: "a", description: "" }, "A")).toThrow(/must match/);
    expect(validateSetting("e", { type: "enum", values: ["a", "b"], default: "a", description: "" }, "b")).toBe("b");
    expect(() => validateSetting("e", { type: "enum", values: ["a", "b"], default: "a", description: "" }, "c")).toThrow(/one of a, b/);
  });

  it("refuses keys outside the allow-list, naming the allowed ones", () => {
    expect(() => applyConfigPatch(defaultConfigSchema, {}, { "no.such": 1 })).toThrow(/allow-listed.*drain.defaultDeadlineMs/);
  });

  it("fills defaults and resets a key with null", () => {
    const set = applyConfigPatch(defaultConfigSchema, {}, { "rollout.maxParallel": 3 });
    expect({ ...configDefaults(defaultConfigSchema), ...set }["rollout.maxParallel"]).toBe(3);
    expect(applyConfigPatch(defaultConfigSchema, set, { "rollout.maxParallel": null })).toEqual({});
  });
});
