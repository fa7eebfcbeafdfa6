// @ts-nocheck
// Packs every public package and installs the tarballs into a fresh project in
// the system temp dir, far from the workspace's node_modules, as a user would:
// npm, the tarball files, and their registry dependencies from the registry.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import type { TestProject } from "vitest/node";
import { run, userEnv } from "./run.ts";
import { publicPackages, tarballName, WORKSPACE } from "./workspace.ts";

export interface PackedPackage {
  readonly name: string;
  readonly dir: string;
  readonly tarball: string;
  readonly bytes: number;
}

export interface Consumer {
  /** The installed project (has node_modules/@drainkit/*). */
  readonly project: string;
  readonly packed: readonly PackedPackage[];
}

declare module "vitest" {
  export interface ProvidedContext {
    consumer: Consumer;
  }
}

/** Registry packages the consumer adds itself: the optional peers the `/testing` subpaths use. */
const CONSUMER_EXTRAS = ["vitest@^5.1.1", "fast-check@^4.10.2", "@types/node@^24"];

export default function setup(project: TestProject): () => void {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), "drainkit-consumer-"));
  const tarballs = join(root, "tarballs");
  const app = join(root, "app");
  mkdirSync(tarballs);
  mkdirSync(app);

  const packages = publicPackages();
  // pnpm pack applies publishConfig (dist exports, bins) and turns workspace:* into versions.
  run("npx", ["-y", "pnpm@10.34.9", "-r", ...packages.flatMap((p) => ["--filter", `./${relative(WORKSPACE, p.dir)}`]), "pack", "--pack-destination", tarballs], { cwd: WORKSPACE, env: { ...process.env } });
  const packed: PackedPackage[] = packages.map((pkg) => {
    const tarball = join(tarballs, tarballName(pkg.name, String(pkg.manifest["version"])));
    return { name: pkg.name, dir: pkg.dir, tarball, bytes: statSync(tarball).size };
  });
  const packedAt = performance.now();

  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "drainkit-consumer", private: true, type: "module" }, null, 2)}\n`);
  // npm now and then stalls on a registry request and never returns: bound each attempt and try
  // again from a clean slate (the second attempt mostly reads npm's cache).
  const install = ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline", "--fetch-timeout=60000", ...packed.map((p) => p.tarball), ...CONSUMER_EXTRAS];
  for (let attempt = 1; ; attempt++) {
    try {
      run("npm", install, { cwd: app, env: userEnv(), timeoutMs: 300_000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`consumer: npm install attempt ${attempt} failed, trying again: ${String(e).split("\n")[0]}`);
      rmSync(join(app, "node_modules"), { recursive: true, force: true });
      rmSync(join(app, "package-lock.json"), { force: true });
    }
  }
  const installedAt = performance.now();

  console.log(`consumer: packed ${packed.length} packages in ${((packedAt - started) / 1000).toFixed(1)} s, installed in ${((installedAt - packedAt) / 1000).toFixed(1)} s (${app})`);
  project.provide("consumer", { project: app, packed });

  return () => {
    console.log(`consumer test: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
    if (process.env["DRAINKIT_KEEP_CONSUMER"] === undefined) rmSync(root, { recursive: true, force: true });
  };
}
