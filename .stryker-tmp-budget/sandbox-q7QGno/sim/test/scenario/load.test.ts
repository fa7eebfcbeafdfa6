// @ts-nocheck
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS_DIR, loadScenario, parseScenario, ScenarioError, scenarioToYaml } from "../../src/scenario/load.ts";

const minimal = { name: "t", durationMs: 1000, fleet: { nodes: 4, pools: 1 }, budget: {}, actions: [] };

function issues(value: unknown): readonly string[] {
  try {
    parseScenario(JSON.stringify(value), "t.json");
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).issues;
  }
  throw new Error("expected the scenario to be refused");
}

describe("scenario files", () => {
  it("ships the four scenarios of the issue, all valid", () => {
    const names = readdirSync(BUILTIN_SCENARIOS_DIR).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""));
    expect(names).toEqual(expect.arrayContaining(["rolling-1k", "concurrent-drains-1k", "failover-1k", "chaos-10k"]));
    for (const name of names) expect(loadScenario(name).name).toBe(name);
    expect(loadScenario("rolling-1k").fleet).toMatchObject({ nodes: 1000, pools: 8 });
    expect(loadScenario("chaos-10k").fleet.nodes).toBe(10_000);
  });

  it("names the field path of every error", () => {
    expect(issues({ ...minimal, fleet: { nodes: 0, pools: 1 } })).toContain("fleet.nodes: must be >= 1");
    expect(issues({ ...minimal, fleet: { pools: 1 } })).toContain("fleet.nodes: is required");
    expect(issues({ ...minimal, colour: "red" })).toContain("colour: is not a known field");
    const bad = issues({ ...minimal, actions: [{ type: "concurrent-drains", at: 0, operators: -2, drainsPerOperator: 1 }] });
    expect(bad.some((i) => i.startsWith("actions[0].operators"))).toBe(true);
    expect(issues({ ...minimal, budget: { maxUnavailable: "ten" } }).some((i) => i.startsWith("budget.maxUnavailable"))).toBe(true);
  });

  it("reads JSON and YAML alike, and writes YAML it reads back", () => {
    const s = parseScenario(JSON.stringify(minimal));
    expect(parseScenario(scenarioToYaml(s))).toEqual(s);
  });

  it("says which names exist when a scenario is not found", () => {
    expect(() => loadScenario("no-such-scenario")).toThrow(/shipped names/);
  });
});
