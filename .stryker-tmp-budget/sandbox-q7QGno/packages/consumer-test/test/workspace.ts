// @ts-nocheck
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout this package lives in. */
export const WORKSPACE = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export interface PublicPackage {
  readonly name: string;
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
}

/**
 * Every package of the workspace that is published: read from the folders
 * pnpm-workspace.yaml names rather than listed by hand, so a new public
 * package is packed and checked without anyone touching this file.
 */
export function publicPackages(): PublicPackage[] {
  const dirs = [
    ...["packages", "apps"].flatMap((group) => readdirSync(join(WORKSPACE, group)).map((d) => join(WORKSPACE, group, d))),
    join(WORKSPACE, "sim"),
  ];
  return dirs
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown> }))
    .filter(({ manifest }) => manifest["private"] !== true)
    .map(({ dir, manifest }) => ({ name: String(manifest["name"]), dir, manifest }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `@drainkit/core` → `drainkit-core-<version>.tgz`, pnpm's file name. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** The import specifiers a package's published `exports` open (not package.json, not blocked ones). */
export function exportedSpecifiers(name: string, exportsMap: unknown): string[] {
  if (typeof exportsMap !== "object" || exportsMap === null) return [name];
  return Object.entries(exportsMap)
    .filter(([key, target]) => target !== null && key !== "./package.json" && !key.includes("*"))
    .map(([key]) => (key === "." ? name : `${name}/${key.slice(2)}`));
}
