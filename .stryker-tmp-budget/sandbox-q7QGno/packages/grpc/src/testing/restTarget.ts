// @ts-nocheck
import { pages } from "@drainkit/core";
import type { Page, Scope } from "@drainkit/registry";
import type { ContractCall, ContractResult, ContractTarget } from "./contract.ts";
import { testToken } from "./server.ts";

interface Route {
  readonly method: "GET" | "PUT" | "POST" | "PATCH";
  readonly path: (id: string) => string;
  /** Input goes in the query string (reads) instead of the body. */
  readonly query?: boolean;
}

const ROUTES: Readonly<Record<ContractCall["action"], Route>> = {
  listPeers: { method: "GET", path: () => "/control/peers", query: true },
  getPeer: { method: "GET", path: (id) => `/control/peers/${id}` },
  registerPeer: { method: "PUT", path: (id) => `/control/peers/${id}` },
  reportStatus: { method: "PUT", path: (id) => `/control/peers/${id}/status` },
  cordon: { method: "POST", path: (id) => `/control/peers/${id}:cordon` },
  uncordon: { method: "POST", path: (id) => `/control/peers/${id}:uncordon` },
  drain: { method: "POST", path: (id) => `/control/peers/${id}:drain` },
  resume: { method: "POST", path: (id) => `/control/peers/${id}:resume` },
  patchPeer: { method: "PATCH", path: (id) => `/control/peers/${id}` },
  drainStatus: { method: "GET", path: (id) => `/control/peers/${id}/drain` },
  getPlacement: { method: "GET", path: (id) => `/control/peers/${id}/placement` },
  listClusters: { method: "GET", path: () => "/control/clusters" },
  promote: { method: "POST", path: (id) => `/control/clusters/${id}:promote` },
  demote: { method: "POST", path: (id) => `/control/clusters/${id}:demote` },
  getConfig: { method: "GET", path: () => "/control/config" },
  patchConfig: { method: "PATCH", path: () => "/control/config" },
  queryAudit: { method: "GET", path: () => "/control/audit", query: true },
  auditHead: { method: "GET", path: () => "/control/audit/head" },
  auditCheckpoint: { method: "GET", path: () => "/control/audit/checkpoint" },
  listMoves: { method: "GET", path: () => "/control/moves", query: true },
  planMove: { method: "POST", path: () => "/control/moves" },
  reportMove: { method: "POST", path: (id) => `/control/moves/${id}:report` },
  pruneMoves: { method: "POST", path: () => "/control/moves:prune" },
};

/**
 * A {@link ContractTarget} over REST, with nothing but `fetch`: for a control
 * API at `baseUrl` (e.g. `startTestControlApi({ pools: contractEnvironment.pools })`
 * from `@drainkit/http/testing`) that accepts the `testToken` of each scope.
 *
 * @example
 * runControlContract("rest", async () => {
 *   const api = await startTestControlApi({ pools: contractEnvironment.pools });
 *   return restContractTarget(api.url, () => api.close());
 * });
 */
export function restContractTarget(baseUrl: string, close: () => Promise<void>): ContractTarget {
  const request = async (call: ContractCall): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> => {
    const route = ROUTES[call.action];
    const headers: Record<string, string> = {};
    if (call.as === "invalid-token") headers["authorization"] = "Bearer dk_not_a_token";
    else if (call.as !== "anonymous") headers["authorization"] = `Bearer ${testToken(call.as as Scope)}`;
    if (call.idempotencyKey !== undefined) headers["idempotency-key"] = call.idempotencyKey;
    if (call.ifMatch !== undefined) headers["if-match"] = call.ifMatch;
    let url = baseUrl + route.path(call.id ?? "");
    let body: string | undefined;
    if (route.query) {
      const q = new URLSearchParams(Object.entries(call.input ?? {}).map(([k, v]): [string, string] => [k, String(v)]));
      if ([...q].length > 0) url += `?${q}`;
    } else if (route.method !== "GET") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(call.input ?? {});
    }
    const res = await fetch(url, { method: route.method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  return {
    async call(call): Promise<ContractResult> {
      const { status, headers, body } = await request(call);
      if (status >= 400) return { ok: false, code: typeof body["code"] === "string" ? body["code"] : `http-${status}` };
      const etag = headers.get("etag");
      const changed = headers.get("drainkit-changed");
      return {
        ok: true,
        ...(etag === null ? {} : { etag }),
        ...(changed === null ? {} : { changed: changed === "true" }),
        ...(headers.get("idempotent-replayed") === "true" ? { replayed: true } : {}),
      };
    },
    async auditCount() {
      let count = 0;
      const readPage = async (cursor: string | undefined): Promise<Page<unknown>> =>
        (await request({ action: "queryAudit", as: "mesh.admin", input: { limit: 1_000, ...(cursor === undefined ? {} : { cursor }) } })).body as unknown as Page<unknown>;
      for await (const page of pages(readPage)) count += page.items.length;
      return count;
    },
    close,
  };
}
