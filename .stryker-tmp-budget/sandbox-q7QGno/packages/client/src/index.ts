/**
 * @drainkit/client: the typed client of the drainkit control plane, for
 * Node and the browser alike (fetch, Web Streams, Web Crypto; no node-only
 * module): the API's wire types, the REST client, the resumable event
 * stream with its watch filter, paging over `nextCursor`, one jittered
 * backoff on the injected Clock/Random, and the transport-neutral
 * {@link ControlClient} interface that REST and gRPC transports implement.
 */
// @ts-nocheck

export type * from "./types.ts";
export { ControlPlaneError, HistoryLostError } from "./errors.ts";
// The one backoff lives in core so adapters below the client share it; re-exported to keep this API.
export { backoff, backoffDelay, jitter, DEFAULT_BACKOFF, type BackoffPolicy } from "@drainkit/core";
export { pages, type PageOf } from "@drainkit/core";
export { readAll } from "./pages.ts";
export { describeStagedChange, type ApprovalSummary, type StagedChangeSummary } from "./approvals.ts";
export { createSseParser, type SseMessage, type SseParserOptions } from "./createSseParser.ts";
export { streamEvents, type EventStreamOptions, type StreamState, type WatchFilter } from "./streamEvents.ts";
export { createControlPlaneClient, type ControlPlaneClient, type ControlPlaneClientOptions, type WatchOptions } from "./createControlPlaneClient.ts";
export type { ApiResponse, CallOptions, ControlClient, EventsOptions, FeedEvent } from "./ControlClient.ts";
