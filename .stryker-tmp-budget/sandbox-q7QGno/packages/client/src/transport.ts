/** How a client sends its requests, and how it lets go of its connections. */
// @ts-nocheck

export interface Transport {
  readonly fetch: typeof fetch;
  close(): Promise<void>;
}
