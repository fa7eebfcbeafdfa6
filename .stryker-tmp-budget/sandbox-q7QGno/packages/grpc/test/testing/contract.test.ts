// @ts-nocheck
import { grpcContractTarget, runControlContract } from "../../src/testing/index.ts";

// The REST side runs the same table from @drainkit/http once it depends on this package's testing entry.
runControlContract("grpc", grpcContractTarget);
