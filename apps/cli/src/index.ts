/**
 * @drainkit/cli: `drainctl`, the operator CLI. The binary is the product; the
 * exports let tools embed its pieces (the client, the audit chain check).
 */
export { createProgram } from "./program.ts";
export { ControlClient, type ApiResponse, type CallOptions, type EventsOptions, type FeedEvent } from "./client.ts";
export { CliError, ProblemError, EXIT, exitCodeForStatus, type ExitCode, type Problem } from "./errors.ts";
export { resolveConnection, contextFilePath, type Context, type ContextFile, type Connection } from "./contexts.ts";
export { verifyChain, canonicalJson, type ChainVerdict } from "./audit/verifyChain.ts";
