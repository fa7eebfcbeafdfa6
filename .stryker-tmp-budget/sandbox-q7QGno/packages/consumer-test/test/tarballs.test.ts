// @ts-nocheck
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { NODE, run } from "./run.ts";
import { WORKSPACE } from "./workspace.ts";

const { packed } = inject("consumer");
// Their package.json files are not exported: reach the CLIs through this package's node_modules.
const modules = fileURLToPath(new URL("../node_modules/", import.meta.url));
const publintCli = join(modules, "publint", "src", "cli.js");
const attwCli = join(modules, "@arethetypeswrong", "cli", "dist", "index.js");

function entries(tarball: string): string[] {
  return run("tar", ["-tzf", tarball], { cwd: WORKSPACE }).stdout.split("\n").filter(Boolean).map((e) => e.replace(/^package\//, ""));
}

function manifestOf(tarball: string): Record<string, unknown> {
  return JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], { cwd: WORKSPACE }).stdout) as Record<string, unknown>;
}

/** Every file path an exports/bin map points at, collected by walking the published manifest. */
function targets(value: unknown): string[] {
  if (typeof value === "string") return [value.replace(/^\.\//, "")];
  if (typeof value !== "object" || value === null) return [];
  return Object.values(value).flatMap(targets);
}

it("prints the tarball sizes", () => {
  const rows = packed.map((p) => `${p.name.padEnd(26)} ${(p.bytes / 1024).toFixed(1).padStart(7)} kB`);
  console.log(`tarball sizes (gzip):\n${rows.join("\n")}\n${"total".padEnd(26)} ${(packed.reduce((s, p) => s + p.bytes, 0) / 1024).toFixed(1).padStart(7)} kB`);
  expect(packed.length).toBeGreaterThanOrEqual(12);
});

describe.each(packed.map((p) => [p.name, p] as const))("%s tarball", (name, p) => {
  const files = entries(p.tarball);
  const manifest = manifestOf(p.tarball);

  it("holds dist JavaScript, declarations, source maps, LICENSE and README, and no tests or TypeScript sources", () => {
    expect(files, `${name}: was it built? (it must be a devDependency of @drainkit/consumer-test so turbo builds it first)`).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    expect(files).toContain("dist/index.js.map");
    expect(files).toContain("LICENSE");
    expect(files).toContain("README.md");
    expect(files.filter((f) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$/.test(f))).toEqual([]);
    expect(files.filter((f) => /\.[cm]?ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("ships the repository's LICENSE text", () => {
    const text = run("tar", ["-xzOf", p.tarball, "package/LICENSE"], { cwd: WORKSPACE }).stdout;
    expect(text).toBe(readFileSync(join(WORKSPACE, "LICENSE"), "utf8"));
  });

  it("publishes a manifest with dist exports, engines, repository, license and no workspace: ranges", () => {
    for (const target of [...targets(manifest["exports"]), ...targets(manifest["bin"])]) {
      if (target === "package.json") continue;
      expect(files, `${name} exports ${target}`).toContain(target);
      expect(target).toMatch(/^dist\//);
    }
    expect(manifest["engines"]).toEqual({ node: expect.stringMatching(/^>=\d+\.\d+/) });
    expect(manifest["repository"]).toMatchObject({ type: "git" });
    expect(manifest["license"]).toBe("Apache-2.0");
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
  });

  it("has no publint errors or warnings", () => {
    const r = run(NODE, [publintCli, "run", p.tarball, "--strict"], { cwd: WORKSPACE, allowFailure: true });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("has types that resolve for ESM consumers (arethetypeswrong, esm-only profile)", () => {
    const r = run(NODE, [attwCli, "--pack", p.tarball, "--profile", "esm-only", "--format", "ascii"], { cwd: WORKSPACE, allowFailure: true });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
