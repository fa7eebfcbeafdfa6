/**
 * Test support for @drainkit/grpc and for every transport of the control
 * API: a control server on a real socket over an in-memory registry, a static
 * token authenticator, and the shared REST/gRPC contract table.
 *
 * @example
 * import { runControlContract, grpcContractTarget } from "@drainkit/grpc/testing";
 * runControlContract("grpc", grpcContractTarget);
 */
// @ts-nocheck

export { staticTokens, startTestControlServer, testPrincipals, testToken, type TestControlServer, type TestControlServerOptions } from "./server.ts";
export {
  contractCases,
  contractEnvironment,
  runControlContract,
  resultOfError,
  CURRENT_ETAG,
  type ContractAction,
  type ContractCall,
  type ContractCaller,
  type ContractCase,
  type ContractResult,
  type ContractStep,
  type ContractTarget,
} from "./contract.ts";
export { grpcContractTarget, grpcContractTargetAt } from "./grpcTarget.ts";
export { echoServiceDefinition, createEchoClient, ECHO_SERVICE_NAME, type EchoClient } from "./echo.ts";
export { restContractTarget } from "./restTarget.ts";
