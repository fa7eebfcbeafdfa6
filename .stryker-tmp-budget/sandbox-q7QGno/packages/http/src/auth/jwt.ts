// @ts-nocheck
import { readFile } from "node:fs/promises";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { isScope, type Authenticator } from "./principal.ts";

/** Settings for {@link jwtAuthenticator}. */
export interface JwtOptions {
  /** The JSON Web Key Set the tokens are signed with. */
  readonly jwks: JSONWebKeySet;
  /** Required `iss` claim. */
  readonly issuer: string;
  /** Required `aud` claim, when set. */
  readonly audience?: string;
  /** Wall clock for expiry checks, in epoch ms (tests pass a fixed one). */
  readonly now?: () => number;
}

/**
 * Verifies JWT bearer tokens against a local JWKS and issuer. The principal id
 * is the `sub` claim; scopes come from the space-separated `scope` claim
 * (unknown scopes are ignored, never widened).
 *
 * @example
 * const auth = jwtAuthenticator({ jwks: JSON.parse(await readFile("jwks.json", "utf8")), issuer: "https://idp.example" });
 */
export function jwtAuthenticator(options: JwtOptions): Authenticator {
  const keys = createLocalJWKSet(options.jwks);
  return {
    async authenticate(token) {
      // Only something shaped like a JWS is worth verifying; other tokens belong to another authenticator.
      if (token.split(".").length !== 3) return undefined;
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          ...(options.audience !== undefined ? { audience: options.audience } : {}),
          ...(options.now ? { currentDate: new Date(options.now()) } : {}),
        });
        if (typeof payload.sub !== "string" || payload.sub === "") return undefined;
        const raw = typeof payload["scope"] === "string" ? payload["scope"].split(" ") : [];
        return { id: payload.sub, scopes: raw.filter(isScope) };
      } catch {
        return undefined;
      }
    },
  };
}

/** Reads a JWKS file and returns a {@link jwtAuthenticator} for it. */
export async function jwtAuthenticatorFromFile(path: string, issuer: string, audience?: string): Promise<Authenticator> {
  const jwks = JSON.parse(await readFile(path, "utf8")) as JSONWebKeySet;
  return jwtAuthenticator({ jwks, issuer, ...(audience !== undefined ? { audience } : {}) });
}
