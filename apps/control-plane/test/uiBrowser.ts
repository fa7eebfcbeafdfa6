import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium; never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches Debian's chromium through playwright-core. Fails, never skips,
 * when it is missing: the dashboard test is part of the suite.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard test drives Debian's chromium. Install it with \`apt-get install -y chromium\` (.ci/run does this on a clean machine).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 120_000,
  });
}

/** Newest modification time (ms) of the dashboard's sources: index.html and everything under src/ and public/. */
function newestSource(pkg: string): number {
  let newest = statSync(join(pkg, "index.html")).mtimeMs;
  for (const dir of ["src", "public"]) {
    if (!existsSync(join(pkg, dir))) continue;
    for (const entry of readdirSync(join(pkg, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Makes sure the dashboard is built and current: turbo builds it before these
 * tests, but a plain `vitest run` on a fresh clone has no dist/ yet, and one
 * after a pull may have a dist/ older than the sources.
 */
export function ensureDashboardBuilt(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve("@drainkit/dashboard/package.json"));
  const dist = join(pkg, "dist");
  if (existsSync(join(dist, "index.html")) && statSync(join(dist, "index.html")).mtimeMs >= newestSource(pkg)) return dist;
  const vite = join(dirname(createRequire(join(pkg, "package.json")).resolve("vite/package.json")), "bin", "vite.js");
  const r = spawnSync(process.execPath, [vite, "build"], { cwd: pkg, encoding: "utf8", timeout: 240_000 });
  if (r.status !== 0 || !existsSync(join(dist, "index.html"))) {
    throw new Error(`building the dashboard failed (${r.status ?? r.signal}); run \`npx -y pnpm@10.34.9 turbo run build --filter=@drainkit/dashboard\`:\n${r.stdout}\n${r.stderr}`);
  }
  return dist;
}
