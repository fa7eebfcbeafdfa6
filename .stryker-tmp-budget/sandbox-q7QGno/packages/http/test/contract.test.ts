// @ts-nocheck
// The same table of contract cases runs against the gRPC adapter in
// packages/grpc; running it here too keeps REST and gRPC semantics from drifting.
import { contractEnvironment, restContractTarget, runControlContract } from "@drainkit/grpc/testing";
import { startTestControlApi } from "../src/testing/index.ts";

runControlContract("rest", async () => {
  const api = await startTestControlApi({ pools: contractEnvironment.pools });
  return restContractTarget(api.url, () => api.close());
});
