import { readFileSync } from "node:fs";

/**
 * drainctl's version, read from the package's own package.json so a release
 * bump (changesets) is what `drainctl --version` prints, never a copy.
 */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
