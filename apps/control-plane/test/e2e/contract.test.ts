// The shared REST/gRPC contract table, run against a real `drainkit serve`
// process over both of its transports: the same semantics, RBAC and audit
// counts whichever way an operator or agent calls it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Scope } from "@drainkit/registry";
import { hashToken } from "@drainkit/http";
import {
  contractEnvironment,
  grpcContractTargetAt,
  restContractTarget,
  runControlContract,
  testPrincipals,
  testToken,
  type ContractTarget,
} from "@drainkit/grpc/testing";
import { serve } from "./serve.ts";

async function startServe(): Promise<{ url: string; grpc: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-contract-"));
  const tokens = (Object.entries(testPrincipals) as [Scope, { id: string; scopes: readonly Scope[] }][]).map(([scope, p]) => ({
    id: p.id,
    sha256: hashToken(testToken(scope)),
    scopes: p.scopes,
    createdAt: "2026-01-01T00:00:00.000Z",
  }));
  await writeFile(join(dir, "tokens.json"), JSON.stringify({ version: 1, tokens }));
  const pools = contractEnvironment.pools.map((p) => `--pool=${p.name}:minAvailable=${String(p.minAvailable)}`);
  const served = await serve([
    "--store", `sqlite:${join(dir, "drainkit.db")}`,
    "--token-file", join(dir, "tokens.json"),
    "--grpc", "127.0.0.1:0",
    "--cluster", "east:active",
    "--cluster", "west:backup",
    ...pools,
  ]);
  const grpc = served.stdout.find((l) => l.includes("gRPC (drainkit.control.v1):"))!.split("):")[1]!.trim();
  return {
    url: served.url,
    grpc,
    async close() {
      served.proc.kill("SIGKILL");
      await served.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const target = (transport: "rest" | "grpc") => async (): Promise<ContractTarget> => {
  const s = await startServe();
  return transport === "rest" ? restContractTarget(s.url, s.close) : grpcContractTargetAt(s.grpc, s.close);
};

runControlContract("drainkit serve over REST", target("rest"), { timeout: 60_000 });
runControlContract("drainkit serve over gRPC", target("grpc"), { timeout: 60_000 });
