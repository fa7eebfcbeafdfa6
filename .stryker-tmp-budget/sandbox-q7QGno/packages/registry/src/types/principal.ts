/** Who asks: the principal and its scopes. */
// @ts-nocheck


/**
 * What a principal may do. `mesh.admin` implies `mesh.operate` and
 * `mesh.read`; `mesh.operate` implies `mesh.read`; `mesh.agent` may read and
 * register / report only its own peer (principal id === peer id).
 */
export type Scope = "mesh.read" | "mesh.agent" | "mesh.operate" | "mesh.admin";

/** An authenticated caller. The transport (HTTP, gRPC) resolves it. */
export interface Principal {
  readonly id: string;
  readonly scopes: readonly Scope[];
}
