// @ts-nocheck
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addToken, hashToken, openTokenFile, reloadingTokenAuthenticator } from "../../src/auth/tokenFile.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drainkit-tokens-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("token file", () => {
  it("creates an admin token on first start, stores only its hash, and never prints it again", async () => {
    const path = join(dir, "nested", "tokens.json");
    const first = await openTokenFile({ path });
    expect(first.createdAdminToken).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
    const stored = await readFile(path, "utf8");
    expect(stored).not.toContain(first.createdAdminToken!);
    expect(stored).toContain(hashToken(first.createdAdminToken!));
    expect(await first.authenticator.authenticate(first.createdAdminToken!)).toEqual({ id: "admin", scopes: ["mesh.admin"] });

    const second = await openTokenFile({ path });
    expect(second.createdAdminToken).toBeUndefined();
    expect(await second.authenticator.authenticate(first.createdAdminToken!)).toEqual({ id: "admin", scopes: ["mesh.admin"] });
    expect(await second.authenticator.authenticate("dk_wrong")).toBeUndefined();
  });

  it("takes DRAINKIT_ADMIN_TOKEN instead, replacing an earlier admin entry", async () => {
    const path = join(dir, "tokens.json");
    const generated = (await openTokenFile({ path })).createdAdminToken!;
    const fixed = "automation-admin-token-0123456789";
    const opened = await openTokenFile({ path, adminToken: fixed });
    expect(opened.createdAdminToken).toBeUndefined();
    expect(await opened.authenticator.authenticate(fixed)).toEqual({ id: "admin", scopes: ["mesh.admin"] });
    expect(await opened.authenticator.authenticate(generated)).toBeUndefined();
    await expect(openTokenFile({ path, adminToken: "short" })).rejects.toMatchObject({ code: "validation" });
  });

  it("adds scoped tokens and rejects a malformed file with a message that says what to fix", async () => {
    const path = join(dir, "tokens.json");
    const ci = await addToken(path, "ci", ["mesh.operate"]);
    const opened = await openTokenFile({ path });
    expect(await opened.authenticator.authenticate(ci)).toEqual({ id: "ci", scopes: ["mesh.operate"] });
    await writeFile(path, JSON.stringify({ tokens: [{ id: "x", sha256: "nothex", scopes: ["mesh.read"] }] }));
    await expect(openTokenFile({ path })).rejects.toThrow(/malformed entry/);
  });

  it("gives the operator an admin token on a first start with a file that holds only agent tokens", async () => {
    const path = join(dir, "tokens.json");
    const agent = await addToken(path, "agent-web-1", ["mesh.agent"]);
    const opened = await openTokenFile({ path });
    expect(opened.createdAdminToken).toMatch(/^dk_/);
    expect(await opened.authenticator.authenticate(opened.createdAdminToken!)).toEqual({ id: "admin", scopes: ["mesh.admin"] });
    expect(await opened.authenticator.authenticate(agent)).toEqual({ id: "agent-web-1", scopes: ["mesh.agent"] });
    expect((await openTokenFile({ path })).createdAdminToken).toBeUndefined();
  });

  it("follows the file: a token added or removed while the server runs takes effect without a restart", async () => {
    const path = join(dir, "tokens.json");
    const opened = await openTokenFile({ path });
    const auth = reloadingTokenAuthenticator(path, opened.tokens, 0);
    await auth.authenticate("dk_prime"); // the first look records the file's version
    const ci = await addToken(path, "ci", ["mesh.operate"]);
    expect(await auth.authenticate(ci)).toEqual({ id: "ci", scopes: ["mesh.operate"] });
    await addToken(path, "ci", ["mesh.operate"]); // re-minting replaces (revokes) the old one
    expect(await auth.authenticate(ci)).toBeUndefined();
    await writeFile(path, "{ not json");
    expect(await auth.authenticate(opened.createdAdminToken!)).toEqual({ id: "admin", scopes: ["mesh.admin"] });
  });
});
