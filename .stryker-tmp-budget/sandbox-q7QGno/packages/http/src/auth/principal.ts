// @ts-nocheck
import type { Principal, Scope } from "@drainkit/registry";

/** The four scopes of the control API, weakest first. */
export const SCOPES: readonly Scope[] = ["mesh.read", "mesh.agent", "mesh.operate", "mesh.admin"];

/** True when `s` is one of the four scopes. */
export function isScope(s: unknown): s is Scope {
  return typeof s === "string" && (SCOPES as readonly string[]).includes(s);
}

/**
 * Resolves a bearer credential to a principal. Returns undefined for a
 * credential this authenticator does not recognise (so a chain can try the
 * next one); throws only when the store behind it fails.
 */
export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
}

/** Tries each authenticator in turn; the first that recognises the token wins. */
export function chainAuthenticators(...authenticators: readonly Authenticator[]): Authenticator {
  return {
    async authenticate(token) {
      for (const a of authenticators) {
        const p = await a.authenticate(token);
        if (p) return p;
      }
      return undefined;
    },
  };
}
