/**
 * @drainkit/client/grpc: the gRPC transport of the transport-neutral
 * `ControlClient` (Node only; needs @grpc/grpc-js through @drainkit/grpc,
 * an optional peer dependency, so browser users of @drainkit/client never
 * load it).
 */
// @ts-nocheck

export { GrpcControlClient, type GrpcConnection, type GrpcErrorMapping } from "./GrpcControlClient.ts";
