// @ts-nocheck
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, inject, it } from "vitest";
import { machineEnv, run } from "./run.ts";

const { packed } = inject("consumer");
const dir = mkdtempSync(join(tmpdir(), "drainkit-engines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `v20.20.2` against `>=22.19.0`, compared field by field. */
function atLeast(version: string, floor: string): boolean {
  const [a, b] = [version, floor].map((v) => v.replace(/^[v>=]+/, "").split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a![i]! !== b![i]!) return a![i]! > b![i]!;
  return true;
}

it("npm on the machine's Node warns when that Node is older than the packages' engines", () => {
  const charts = packed.find((p) => p.name === "@drainkit/charts")!;
  const env = machineEnv();
  const machineNode = run("node", ["--version"], { cwd: dir, env }).stdout.trim();
  const floor = (JSON.parse(run("tar", ["-xzOf", charts.tarball, "package/package.json"], { cwd: dir }).stdout) as { engines: { node: string } }).engines.node;
  writeFileSync(join(dir, "package.json"), '{"name":"engines-probe","private":true}\n');
  const r = run("npm", ["install", "--dry-run", "--no-audit", "--no-fund", charts.tarball], { cwd: dir, env });
  console.log(`machine Node ${machineNode}, engines ${floor}`);
  if (atLeast(machineNode, floor)) {
    expect(r.stderr).not.toContain("EBADENGINE");
  } else {
    expect(r.stderr).toContain("EBADENGINE");
    expect(r.stderr).toContain("@drainkit/charts");
    expect(r.stderr).toContain(floor);
  }
});
