// @ts-nocheck
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, inject, it } from "vitest";
import { NODE, run } from "./run.ts";
import { exportedSpecifiers } from "./workspace.ts";

const { project, packed } = inject("consumer");

function installedManifest(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8")) as Record<string, unknown>;
}

const specifiers = packed.flatMap((p) => exportedSpecifiers(p.name, installedManifest(p.name)["exports"]));

it("imports every package and subpath from a plain .mjs on Node", () => {
  const script = [
    `const specifiers = ${JSON.stringify(specifiers)};`,
    "for (const s of specifiers) {",
    "  const m = await import(s);",
    "  if (Object.keys(m).length === 0) throw new Error(`${s} exports nothing`);",
    "  console.log(`${s}: ${Object.keys(m).length} exports`);",
    "}",
  ].join("\n");
  writeFileSync(join(project, "imports.mjs"), script);
  const r = run(NODE, ["imports.mjs"], { cwd: project });
  console.log(`plain Node ${process.version}:\n${r.stdout}`);
  expect(r.stdout.trim().split("\n")).toHaveLength(specifiers.length);
  expect(specifiers.length).toBeGreaterThan(packed.length);
});

it("refuses a subpath that is not exported with Node's own error, naming no source file", () => {
  const script = [
    "for (const s of ['@drainkit/core/dist/index.js', '@drainkit/core/src/index.ts', '@drainkit/core/internal/x', '@drainkit/registry/nope']) {",
    "  try { await import(s); console.log(`${s} IMPORTED`); } catch (e) { console.log(`${s} ${e.code} ${e.message}`); }",
    "}",
  ].join("\n");
  writeFileSync(join(project, "bad-subpath.mjs"), script);
  const lines = run(NODE, ["bad-subpath.mjs"], { cwd: project }).stdout.trim().split("\n");
  expect(lines).toHaveLength(4);
  for (const line of lines) {
    expect(line).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(line).not.toContain("TYPE_STRIPPING");
  }
  expect(lines[0]).toContain(`Package subpath './dist/index.js' is not defined by "exports"`);
});

it("runs the simulator's sweep workers from the installed JavaScript (no tsx)", () => {
  writeFileSync(
    join(project, "sweep.mjs"),
    'import { loadScenario, sweep } from "@drainkit/sim";\nconst s = await sweep(loadScenario("rolling-1k"), [1, 2], { workers: 2 });\nconsole.log(JSON.stringify({ passed: s.passed, workers: s.workers }));\n',
  );
  expect(JSON.parse(run(NODE, ["sweep.mjs"], { cwd: project }).stdout)).toEqual({ passed: 2, workers: 2 });
});
