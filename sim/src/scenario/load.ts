import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { DrainkitError } from "@drainkit/core";
import { checkScenario, checkSnapshot as checkSnapshotGenerated } from "./validators.generated.ts";
import type { FleetSnapshot, Scenario } from "./types.ts";

/**
 * A scenario file that does not match the schema. `issues` name each field by
 * its path (`fleet.nodes`, `actions[2].operators`).
 */
export class ScenarioError extends DrainkitError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], what = "Scenario") {
    super("invalid-scenario", `${what} ${source} is invalid:\n  - ${issues.join("\n  - ")}\nFix the named fields and run again.`, {
      details: { source, issues: [...issues] },
    });
    this.issues = issues;
  }
}

// Compiled ahead of time (scripts/scenario-validators.ts, with these options: allErrors,
// discriminator, strict off): compiling them here was most of a run's start-up.
const check = checkScenario as ValidateFunction;
const checkSnapshot = checkSnapshotGenerated as ValidateFunction;

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
  const scenario = value as unknown as Scenario;
  // A hung request is a request: without traffic the fault would do nothing yet be counted.
  const hungIssues = (scenario.faults ?? []).flatMap((f, i) =>
    f.type === "hung-participant" && (scenario.traffic === undefined || scenario.traffic.ratePerNode === 0) ? [`faults[${i}]: hung-participant needs a traffic block with ratePerNode > 0 (it hangs a request in flight)`] : [],
  );
  if (hungIssues.length > 0) throw new ScenarioError(source, hungIssues);
  const snapshot = scenario.fleet.snapshot;
  if (snapshot !== undefined) {
    const issues = snapshotIssues(snapshot, "fleet.snapshot.");
    if (scenario.fleet.nodes !== snapshot.nodes.length) issues.push(`fleet.nodes: must equal the snapshot's node count (${snapshot.nodes.length})`);
    const known = new Set(snapshot.nodes.map((n) => n.id));
    scenario.actions.forEach((a, i) => {
      if (a.type !== "drain" && !(a.type === "rolling-upgrade" && a.nodes !== undefined)) return;
      (a.nodes ?? []).forEach((node, k) => {
        if (!known.has(node)) issues.push(`actions[${i}].nodes[${k}]: no node "${node}" in the snapshot`);
      });
    });
    if (issues.length > 0) throw new ScenarioError(source, issues);
  }
  return scenario;
}

/** What the schema cannot say: ids unique, pools listed once. */
function snapshotIssues(snapshot: FleetSnapshot, prefix: string): string[] {
  const issues: string[] = [];
  const seen = new Set<string>();
  snapshot.nodes.forEach((n, i) => {
    if (seen.has(n.id)) issues.push(`${prefix}nodes[${i}].id: "${n.id}" appears twice`);
    seen.add(n.id);
  });
  const pools = new Set<string>();
  snapshot.pools.forEach((p, i) => {
    if (pools.has(p.name)) issues.push(`${prefix}pools[${i}].name: pool "${p.name}" is listed twice`);
    pools.add(p.name);
  });
  return issues;
}

/**
 * Validates a parsed fleet snapshot (`drainctl fleet export`); throws
 * {@link ScenarioError} naming every bad field (`nodes[3].workloads.owners: must be >= 0`).
 *
 * @example
 * const snapshot = validateSnapshot(JSON.parse(readFileSync("fleet.json", "utf8")), "fleet.json");
 */
export function validateSnapshot(value: unknown, source = "(inline)"): FleetSnapshot {
  if (!checkSnapshot(value)) {
    const issues = [...new Set((checkSnapshot.errors ?? []).map(describe))];
    throw new ScenarioError(source, issues.length > 0 ? issues : ["(root): does not match the fleet snapshot schema"], "Fleet snapshot");
  }
  const snapshot = value as unknown as FleetSnapshot;
  const issues = snapshotIssues(snapshot, "");
  if (issues.length > 0) throw new ScenarioError(source, issues, "Fleet snapshot");
  return snapshot;
}

/** Parses a fleet snapshot from YAML or JSON text and validates it. */
export function parseSnapshot(text: string, source = "(inline)"): FleetSnapshot {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new ScenarioError(source, [`(root): not valid YAML/JSON: ${(e as Error).message}`], "Fleet snapshot");
  }
  return validateSnapshot(value, source);
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
 * A relative path resolves against `cwd` (the CLI passes the directory the
 * user ran `pnpm sim` in, `INIT_CWD`, since pnpm runs the script inside `sim/`).
 *
 * @example
 * const s = loadScenario("rolling-1k");
 */
export function loadScenario(nameOrPath: string, cwd = process.cwd()): Scenario {
  return locateScenario(nameOrPath, cwd).scenario;
}

/**
 * Like {@link loadScenario}, and says where the scenario came from: `replay`
 * is what to pass to `sim run` to load the same file again from anywhere (the
 * shipped name, or the file's absolute path).
 */
export function locateScenario(nameOrPath: string, cwd = process.cwd()): { scenario: Scenario; file: string; replay: string } {
  const given = resolve(cwd, nameOrPath);
  const candidates = [given, join(BUILTIN_SCENARIOS_DIR, `${nameOrPath}.yaml`), join(BUILTIN_SCENARIOS_DIR, `${nameOrPath}.json`)];
  const file = candidates.find((f) => statSync(f, { throwIfNoEntry: false })?.isFile() === true);
  if (file === undefined) {
    throw new DrainkitError("scenario-not-found", `No scenario "${nameOrPath}" (looked for ${given} and sim/scenarios/${nameOrPath}.yaml): give a file path or one of the shipped names (sim/scenarios/*.yaml).`);
  }
  return { scenario: parseScenario(readFileSync(file, "utf8"), file), file, replay: file === given ? file : nameOrPath };
}

/** A scenario as YAML text that {@link parseScenario} reads back. */
export function scenarioToYaml(scenario: Scenario): string {
  return stringifyYaml(scenario);
}
