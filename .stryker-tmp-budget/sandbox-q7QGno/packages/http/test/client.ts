// @ts-nocheck
import type { Scope } from "@drainkit/registry";
import type { TestControlApi } from "../src/testing/index.ts";

/** A parsed HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly contentType: string;
}

/** Calls the test API as `scope` (or anonymously with `null`). */
export async function call(api: TestControlApi, method: string, path: string, scope: Scope | null, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(api.url + path, {
    method,
    headers: {
      ...(scope ? api.auth(scope) : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { text };
  }
  return { status: res.status, headers: res.headers, body: parsed, contentType: res.headers.get("content-type") ?? "" };
}

/** Registers `id` as an operator, with defaults. */
export async function register(api: TestControlApi, id: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  return call(api, "PUT", `/control/peers/${id}`, "mesh.operate", { address: `${id}.test:80`, pools: ["web"], roles: ["edge"], ...extra });
}

/** Registers `id` and reports one heartbeat, as its agent does on start (a peer that never reported is unknown). */
export async function registerLive(api: TestControlApi, id: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  const answer = await register(api, id, extra);
  await call(api, "PUT", `/control/peers/${id}/status`, "mesh.operate", { roles: {}, epoch: 0 });
  return answer;
}
