// @ts-nocheck
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { DrainkitError } from "@drainkit/core";
import type { Principal, Scope } from "@drainkit/registry";
import { isScope, type Authenticator } from "./principal.ts";

/** One line of the token file: only the SHA-256 of the token is kept. */
export interface TokenRecord {
  readonly id: string;
  readonly sha256: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
}

/** The token file's JSON shape. */
export interface TokenFileContents {
  readonly version: 1;
  readonly tokens: readonly TokenRecord[];
}

/** SHA-256 hex of a token; what the token file stores. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A fresh random bearer token (`dk_` + 32 random bytes, base64url). */
export function generateToken(): string {
  return `dk_${randomBytes(32).toString("base64url")}`;
}

/**
 * Authenticates against a list of hashed tokens.
 *
 * @example
 * const auth = tokenAuthenticator([{ id: "ci", sha256: hashToken(t), scopes: ["mesh.operate"], createdAt: "" }]);
 * await auth.authenticate(t); // { id: "ci", scopes: ["mesh.operate"] }
 */
export function tokenAuthenticator(records: readonly TokenRecord[]): Authenticator {
  const byHash = new Map(records.map((r) => [r.sha256, r]));
  return {
    async authenticate(token) {
      const digest = hashToken(token);
      const rec = byHash.get(digest);
      // The map lookup already keys on a digest an attacker cannot steer; the
      // constant-time compare keeps a future linear scan honest too.
      if (!rec || !timingSafeEqual(Buffer.from(rec.sha256, "hex"), Buffer.from(digest, "hex"))) return undefined;
      return { id: rec.id, scopes: rec.scopes } satisfies Principal;
    },
  };
}

function parseTokenFile(text: string, path: string): TokenFileContents {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new DrainkitError("validation", `Token file ${path} is not JSON; fix or remove it.`, { cause });
  }
  const tokens = (data as { tokens?: unknown })?.tokens;
  if (!Array.isArray(tokens)) throw new DrainkitError("validation", `Token file ${path} has no "tokens" array.`);
  for (const t of tokens as Partial<TokenRecord>[]) {
    if (typeof t.id !== "string" || typeof t.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(t.sha256) || !Array.isArray(t.scopes) || !t.scopes.every(isScope)) {
      throw new DrainkitError("validation", `Token file ${path} has a malformed entry (${JSON.stringify(t.id ?? "?")}); each needs id, sha256 (hex) and scopes.`);
    }
  }
  return { version: 1, tokens: tokens as TokenRecord[] };
}

/** What {@link openTokenFile} found or did. */
export interface OpenedTokenFile {
  readonly authenticator: Authenticator;
  readonly tokens: readonly TokenRecord[];
  /** Set only when this call created the admin token: print it once, it is stored nowhere in clear. */
  readonly createdAdminToken?: string;
  /** True when the admin token came from `adminToken` (DRAINKIT_ADMIN_TOKEN). */
  readonly adminFromEnvironment: boolean;
}

/**
 * Loads the token file at `path`. On first start (no file) it creates one with
 * a fresh admin token and returns that token so the caller can print it once.
 * With `adminToken` (DRAINKIT_ADMIN_TOKEN) that token is the admin token
 * instead, and replaces a previous admin entry so automation stays in charge.
 *
 * @example
 * const { authenticator, createdAdminToken } = await openTokenFile({ path: "./data/tokens.json" });
 * if (createdAdminToken) console.log("admin token:", createdAdminToken);
 */
export async function openTokenFile(options: { path: string; adminToken?: string; now?: () => Date }): Promise<OpenedTokenFile> {
  const now = options.now ?? (() => new Date());
  let contents: TokenFileContents | undefined;
  try {
    contents = parseTokenFile(await readFile(options.path, "utf8"), options.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  let createdAdminToken: string | undefined;
  let tokens = contents?.tokens ?? [];
  if (options.adminToken !== undefined) {
    if (options.adminToken.length < 16) throw new DrainkitError("validation", "DRAINKIT_ADMIN_TOKEN must be at least 16 characters.");
    const sha256 = hashToken(options.adminToken);
    if (!tokens.some((t) => t.id === "admin" && t.sha256 === sha256)) {
      tokens = [...tokens.filter((t) => t.id !== "admin"), { id: "admin", sha256, scopes: ["mesh.admin"], createdAt: now().toISOString() }];
      await writeTokenFile(options.path, { version: 1, tokens });
    }
  } else if (!tokens.some((t) => t.scopes.includes("mesh.admin"))) {
    // A first start, or a file that holds only agent tokens: without this the
    // operator would have no way in at all.
    createdAdminToken = generateToken();
    const id = tokens.some((t) => t.id === "admin") ? `admin-${now().getTime()}` : "admin";
    tokens = [...tokens, { id, sha256: hashToken(createdAdminToken), scopes: ["mesh.admin"], createdAt: now().toISOString() }];
    await writeTokenFile(options.path, { version: 1, tokens });
  }
  return {
    authenticator: reloadingTokenAuthenticator(options.path, tokens),
    tokens,
    adminFromEnvironment: options.adminToken !== undefined,
    ...(createdAdminToken !== undefined ? { createdAdminToken } : {}),
  };
}

/**
 * Authenticates against the token file at `path` and follows its changes, so
 * `drainkit token add` (or a removal) takes effect without a restart. The file
 * is stat'ed at most once per `checkEveryMs` (default 1 s), on any request;
 * a file that cannot be read or parsed keeps the last good set, so a bad edit
 * never locks everyone out.
 */
export function reloadingTokenAuthenticator(path: string, initial: readonly TokenRecord[], checkEveryMs = 1000): Authenticator {
  let current = tokenAuthenticator(initial);
  let lastCheck = Date.now();
  let seen: string | undefined;
  let pending: Promise<void> | undefined;
  const refresh = async (): Promise<void> => {
    try {
      const s = await stat(path);
      const version = `${s.mtimeMs}:${s.size}:${s.ino}`;
      if (seen === undefined) seen = version;
      else if (version !== seen) {
        current = tokenAuthenticator(parseTokenFile(await readFile(path, "utf8"), path).tokens);
        seen = version;
      }
    } catch {
      // Keep the last good set (see above).
    }
  };
  void stat(path).then((s) => (seen ??= `${s.mtimeMs}:${s.size}:${s.ino}`), () => undefined);
  return {
    async authenticate(token) {
      if (Date.now() - lastCheck >= checkEveryMs) {
        lastCheck = Date.now();
        pending ??= refresh().finally(() => (pending = undefined));
      }
      if (pending) await pending;
      return current.authenticate(token);
    },
  };
}

/** Adds a token to the file (creating it when absent) and returns the clear token. */
export async function addToken(path: string, id: string, scopes: readonly Scope[], now: () => Date = () => new Date()): Promise<string> {
  let tokens: readonly TokenRecord[] = [];
  try {
    tokens = parseTokenFile(await readFile(path, "utf8"), path).tokens;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const token = generateToken();
  await writeTokenFile(path, { version: 1, tokens: [...tokens.filter((t) => t.id !== id), { id, sha256: hashToken(token), scopes, createdAt: now().toISOString() }] });
  return token;
}

async function writeTokenFile(path: string, contents: TokenFileContents): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Write-then-rename so a crash never leaves a half-written file that would lock everyone out.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
