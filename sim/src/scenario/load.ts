import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { DrainkitError } from "@drainkit/core";
import { scenarioSchema } from "./schema.ts";
import type { Scenario } from "./types.ts";

/**
 * A scenario file that does not match the schema. `issues` name each field by
 * its path (`fleet.nodes`, `actions[2].operators`).
 */
export class ScenarioError extends DrainkitError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    super("invalid-scenario", `Scenario ${source} is invalid:\n  - ${issues.join("\n  - ")}\nFix the named fields and run again.`, {
      details: { source, issues: [...issues] },
    });
    this.issues = issues;
  }
}

const ajv = new Ajv({ allErrors: true, discriminator: true, strict: false });
const check = ajv.compile(scenarioSchema);

function fieldPath(instancePath: string): string {
  // "/actions/2/operators" → "actions[2].operators"
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === "" ? part : `${acc}.${part}`), "");
}

function describe(e: ErrorObject): string {
  const at = fieldPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === "required") return `${at === "" ? "" : `${at}.`}${String(params.missingProperty)}: is required`;
  if (e.keyword === "additionalProperty" || e.keyword === "additionalProperties") {
    return `${at === "" ? "" : `${at}.`}${String(params.additionalProperty)}: is not a known field`;
  }
  return `${at === "" ? "(root)" : at}: ${e.message ?? e.keyword}`;
}

/**
 * Validates a parsed scenario; throws {@link ScenarioError} naming every bad field.
 *
 * @example
 * const scenario = validateScenario(JSON.parse(text), "my.json");
 */
export function validateScenario(value: unknown, source = "(inline)"): Scenario {
  if (!check(value)) {
    // oneOf reports every branch; keep the distinct messages, most specific first.
    const issues = [...new Set((check.errors ?? []).filter((e) => e.keyword !== "oneOf").map(describe))];
    throw new ScenarioError(source, issues.length > 0 ? issues : ["(root): does not match the scenario schema"]);
  }
  return value as unknown as Scenario;
}

/** Parses YAML or JSON text (YAML is a superset) and validates it. */
export function parseScenario(text: string, source = "(inline)"): Scenario {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new ScenarioError(source, [`(root): not valid YAML/JSON: ${(e as Error).message}`]);
  }
  return validateScenario(value, source);
}

/** Directory of the scenarios shipped with the simulator. */
export const BUILTIN_SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scenarios");

/**
 * Loads a scenario by path, or by the name of a shipped one (`rolling-1k`).
 *
 * @example
 * const s = loadScenario("rolling-1k");
 */
export function loadScenario(nameOrPath: string): Scenario {
  const candidates = [resolve(nameOrPath), join(BUILTIN_SCENARIOS_DIR, `${nameOrPath}.yaml`), join(BUILTIN_SCENARIOS_DIR, `${nameOrPath}.json`)];
  const file = candidates.find((f) => statSync(f, { throwIfNoEntry: false })?.isFile() === true);
  if (file === undefined) {
    throw new DrainkitError("scenario-not-found", `No scenario "${nameOrPath}": give a file path or one of the shipped names (sim/scenarios/*.yaml).`);
  }
  return parseScenario(readFileSync(file, "utf8"), file);
}

/** A scenario as YAML text that {@link parseScenario} reads back. */
export function scenarioToYaml(scenario: Scenario): string {
  return stringifyYaml(scenario);
}
