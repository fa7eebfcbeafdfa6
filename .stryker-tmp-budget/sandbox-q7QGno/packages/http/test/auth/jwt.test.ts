// @ts-nocheck
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { jwtAuthenticator } from "../../src/auth/jwt.ts";

async function setup(): Promise<{ sign: (claims: Record<string, unknown>, opts?: { iss?: string; exp?: number }) => Promise<string>; jwks: { keys: object[] } }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const sign = (claims: Record<string, unknown>, opts: { iss?: string; exp?: number } = {}): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(opts.iss ?? "https://idp.test").setSubject("alice").setIssuedAt().setExpirationTime(opts.exp ?? "5m").sign(privateKey);
  return { sign, jwks: { keys: [jwk] } };
}

describe("JWT authenticator", () => {
  it("verifies signature and issuer, and takes scopes from the scope claim (unknown scopes dropped)", async () => {
    const { sign, jwks } = await setup();
    const auth = jwtAuthenticator({ jwks: jwks as never, issuer: "https://idp.test" });
    expect(await auth.authenticate(await sign({ scope: "mesh.operate openid mesh.read" }))).toEqual({ id: "alice", scopes: ["mesh.operate", "mesh.read"] });
    expect(await auth.authenticate(await sign({ scope: "mesh.admin" }, { iss: "https://evil.test" }))).toBeUndefined();
    expect(await auth.authenticate(await sign({ scope: "mesh.admin" }, { exp: 1 }))).toBeUndefined();
    expect(await auth.authenticate("dk_not_a_jwt")).toBeUndefined();
    const other = await setup();
    expect(await auth.authenticate(await other.sign({ scope: "mesh.admin" }))).toBeUndefined();
  });
});
