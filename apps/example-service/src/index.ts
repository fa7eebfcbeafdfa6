/**
 * @drainkit/example-service: a small real service (Fastify HTTP and gRPC)
 * that embeds the drainkit agent, with both servers as drain participants
 * under one LifecycleOrchestrator. Used by end-to-end tests and demos.
 */
export { startExampleService, exampleGrpcClient, EXAMPLE_GRPC_SERVICE, type ExampleService, type ExampleServiceOptions, type JobEvent } from "./service.ts";
