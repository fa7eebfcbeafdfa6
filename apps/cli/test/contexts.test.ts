import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConnection } from "../src/contexts.ts";

const withContext = (context: Record<string, string>): NodeJS.ProcessEnv => {
  const path = join(mkdtempSync(join(tmpdir(), "drainctl-ctx-")), "config.yaml");
  writeFileSync(path, JSON.stringify({ "current-context": "c", contexts: { c: context } }));
  return { DRAINCTL_CONFIG: path };
};

describe("resolveConnection with gRPC", () => {
  it("takes --grpc over DRAINKIT_GRPC over the context, and knows whether a REST URL was named", () => {
    const env = withContext({ server: "http://cp:7400", grpc: "cp:7401" });
    expect(resolveConnection({}, env)).toMatchObject({ grpc: "cp:7401", serverGiven: true });
    expect(resolveConnection({}, { ...env, DRAINKIT_GRPC: "env:7401" })).toMatchObject({ grpc: "env:7401" });
    expect(resolveConnection({ grpc: "flag:7401" }, { ...env, DRAINKIT_GRPC: "env:7401" })).toMatchObject({ grpc: "flag:7401" });
    expect(resolveConnection({ grpc: "flag:7401" }, {})).toMatchObject({ grpc: "flag:7401", serverGiven: false });
  });

  it("lets --server beat a context's gRPC address, and refuses a URL as an address", () => {
    const env = withContext({ server: "http://cp:7400", grpc: "cp:7401" });
    expect(resolveConnection({ server: "http://other:7400" }, env).grpc).toBeUndefined();
    expect(() => resolveConnection({ grpc: "http://cp:7401" }, {})).toThrow(/not a host:port/);
  });
});
