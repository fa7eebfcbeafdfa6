/**
 * The registry's public data shapes: peers (spec + status), clusters, config,
 * audit entries and the inputs of every mutation. Values returned to callers
 * are plain JSON, so REST, gRPC and the simulator can pass them on unchanged.
 * One file per concept under `types/`; the registry's roles in `roles.ts`.
 * Files inside the package import those files, never this barrel, so no
 * import cycle runs through it.
 */
// @ts-nocheck

export type * from "./types/principal.ts";
export type * from "./types/mutation.ts";
export type * from "./types/peer.ts";
export type * from "./types/placement.ts";
export type * from "./types/drain.ts";
export type * from "./types/cluster.ts";
export type * from "./types/config.ts";
export type * from "./types/pool.ts";
export type * from "./types/audit.ts";
export type * from "./types/change.ts";
export type * from "./types/approval.ts";
export type * from "./roles.ts";
