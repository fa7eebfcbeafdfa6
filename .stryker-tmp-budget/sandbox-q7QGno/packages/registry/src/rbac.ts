// @ts-nocheck
import { ForbiddenError } from "./errors.ts";
import type { Principal, Scope } from "./types/principal.ts";

/** Each scope and the scopes it implies. */
const IMPLIES: Readonly<Record<Scope, readonly Scope[]>> = {
  "mesh.admin": ["mesh.admin", "mesh.operate", "mesh.read"],
  "mesh.operate": ["mesh.operate", "mesh.read"],
  "mesh.agent": ["mesh.agent", "mesh.read"],
  "mesh.read": ["mesh.read"],
};

/**
 * True when `principal` holds `scope`, directly or through a broader one.
 *
 * @example
 * hasScope({ id: "ops", scopes: ["mesh.admin"] }, "mesh.operate"); // true
 */
export function hasScope(principal: Principal, scope: Scope): boolean {
  for (const held of principal.scopes) if (IMPLIES[held]?.includes(scope)) return true;
  return false;
}

/** Throws {@link ForbiddenError} unless `principal` holds `scope`. */
export function requireScope(principal: Principal, scope: Scope, action: string): void {
  if (!hasScope(principal, scope)) throw new ForbiddenError(action, scope);
}

/**
 * Agents act only on their own peer; operators on any. Throws naming the
 * scope that would have been enough.
 */
export function requireSelfOrOperate(principal: Principal, peerId: string, action: string): void {
  if (hasScope(principal, "mesh.operate")) return;
  if (hasScope(principal, "mesh.agent")) {
    if (principal.id === peerId) return;
    throw new ForbiddenError(action, "mesh.operate", `an agent may only ${action} its own peer "${principal.id}"`);
  }
  throw new ForbiddenError(action, "mesh.agent");
}
