// @ts-nocheck
import type { PeerRegistration, Principal } from "../types.ts";

/**
 * One principal per scope, for tests: `principals.operator` holds
 * `mesh.operate`, `principals.agent("web-1")` is the agent of peer web-1.
 *
 * @example
 * await registry.cordon(principals.operator, "web-1", { reason: "test" });
 */
export const principals = {
  reader: { id: "reader", scopes: ["mesh.read"] },
  operator: { id: "operator", scopes: ["mesh.operate"] },
  admin: { id: "admin", scopes: ["mesh.admin"] },
  nobody: { id: "nobody", scopes: [] },
  /** The agent of peer `peerId` (its principal id is the peer id). */
  agent: (peerId: string): Principal => ({ id: peerId, scopes: ["mesh.agent"] }),
  /** A distinct operator, e.g. one of many racing. */
  operatorNamed: (id: string): Principal => ({ id, scopes: ["mesh.operate"] }),
} as const satisfies Record<string, Principal | ((id: string) => Principal)>;

/**
 * A peer registration with sensible defaults; override any field.
 *
 * @example
 * const web = Array.from({ length: 5 }, (_, i) => makePeer({ id: `web-${i}`, pools: ["web"] }));
 */
export function makePeer(overrides: Partial<PeerRegistration> & { readonly id: string }): PeerRegistration {
  return {
    address: `${overrides.id}.test:8080`,
    pools: ["default"],
    roles: ["edge"],
    labels: {},
    metadata: {},
    ...overrides,
  };
}

/** What {@link registerLive} needs of a registry. */
interface Registers {
  registerPeer(principal: Principal, input: PeerRegistration): Promise<unknown>;
  reportStatus(principal: Principal, id: string, report: { readonly roles: Record<string, never>; readonly epoch: number }): Promise<unknown>;
}

/**
 * Registers a peer and reports one heartbeat for it, as its agent does on
 * start: a peer that never reported is `unknown` and never counts as
 * available, so tests of budgets need live peers.
 *
 * @example
 * await registerLive(registry, makePeer({ id: "web-1", pools: ["web"] }));
 */
export async function registerLive(registry: Registers, peer: PeerRegistration, principal: Principal = principals.operator): Promise<void> {
  await registry.registerPeer(principal, peer);
  await registry.reportStatus(principal, peer.id, { roles: {}, epoch: 0 });
}
