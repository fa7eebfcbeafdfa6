/**
 * The shapes of the control API as drainctl reads them, derived from
 * @drainkit/client's wire types (the one definition the agent and the
 * dashboard read too). Where drainctl reads less than a resource has, or
 * one feed event for several kinds, the narrowing is spelled here.
 */
import type * as api from "@drainkit/client";

export type { AuditEntry, Cluster, DrainStatus, MoveState, Page, RegistryConfig, Rollout, WorkloadMove } from "@drainkit/client";

/** The part of a peer drainctl reads: the registry's bookkeeping fields may be absent (fixtures, older servers). */
export type Peer = Omit<api.Peer, "metadata" | "phases" | "createdAt" | "updatedAt"> & Partial<Pick<api.Peer, "metadata" | "phases" | "createdAt" | "updatedAt">>;

/** An `event: move` of `/control/events`; `value` is absent once the move was pruned. */
export type MoveChange = Omit<api.MoveChange, "value"> & { readonly value?: api.WorkloadMove | undefined };

/** One change of the feed as drainctl's generic views read it (any kind but rollout; `value` undefined on delete). */
export type RegistryChange = api.RegistryChange | MoveChange;
