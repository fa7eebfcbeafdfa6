// @ts-nocheck
import { describe, expect, it } from "vitest";
import { ClientClosedError, EtcdError, EtcdPermissionDeniedError, GRPCDeadlineExceededError, GRPCUnavailableError } from "etcd3";
import { classifyEtcdError } from "../src/index.ts";

const hosts = "http://10.0.0.1:2379";

describe("classifyEtcdError", () => {
  it.each([
    [new GRPCUnavailableError("14 UNAVAILABLE: No connection established"), "store-unavailable", true],
    [new GRPCDeadlineExceededError("4 DEADLINE_EXCEEDED: Deadline exceeded"), "store-unavailable", true],
    [new EtcdError("etcdserver: no leader"), "store-unavailable", true],
    [new EtcdError("etcdserver: leader changed"), "store-unavailable", true],
    [new EtcdError("etcdserver: request timed out"), "store-unavailable", true],
    [new EtcdPermissionDeniedError("etcdserver: permission denied"), "store-forbidden", false],
    [new EtcdError("etcdserver: mvcc: database space exceeded"), "store-full", true],
    [new EtcdError("etcdserver: mvcc: required revision has been compacted"), "history-compacted", false],
    [new ClientClosedError("KV"), "store-closed", false],
    [new EtcdError("etcdserver: too many operations in txn request"), "store-error", false],
  ])("maps %s to %s", (error, code, retryable) => {
    const typed = classifyEtcdError(error, hosts);
    expect(typed).toMatchObject({ code, retryable });
    expect((typed as Error).cause).toBe(error);
  });

  it("passes typed errors through", () => {
    const typed = classifyEtcdError(new EtcdError("etcdserver: no leader"), hosts);
    expect(classifyEtcdError(typed, hosts)).toBe(typed);
  });
});
