// @ts-nocheck
export { backoff, backoffDelay, jitter, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";
