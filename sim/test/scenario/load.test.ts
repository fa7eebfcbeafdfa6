import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { fcParams } from "@drainkit/core/testing";
import { generateValidators, VALIDATORS_PATH } from "../../scripts/scenario-validators.ts";
import { scenarioSchema } from "../../src/scenario/schema.ts";
import { checkScenario } from "../../src/scenario/validators.generated.ts";
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

describe("the validators compiled ahead of time", () => {
  it("are the schemas as they are now (run `pnpm --filter @drainkit/sim generate:validators` after changing schema.ts)", () => {
    expect(readFileSync(VALIDATORS_PATH, "utf8")).toBe(generateValidators());
  });

  it("judge scenarios as ajv compiling the schema now does (property)", () => {
    // An independent compile of the same schema with the options the simulator documents.
    const fresh = new Ajv({ allErrors: true, discriminator: true, strict: false }).compile(scenarioSchema);
    const generated = checkScenario as ValidateFunction;
    fc.assert(
      fc.property(fc.anything(), fc.constantFrom(...readdirSync(BUILTIN_SCENARIOS_DIR).filter((f) => f.endsWith(".yaml"))), (junk, file) => {
        const shipped = parseYaml(readFileSync(join(BUILTIN_SCENARIOS_DIR, file), "utf8")) as Record<string, unknown>;
        for (const value of [junk, shipped, { ...shipped, fleet: junk }, { ...shipped, actions: [junk] }, { ...shipped, faults: [junk] }]) {
          // The same answer and the same errors (the messages users read are built from them).
          expect(generated(value)).toBe(fresh(value));
          expect(generated.errors ?? null).toEqual(fresh.errors ?? null);
        }
      }),
      fcParams({ numRuns: 150 }),
    );
  });
});
