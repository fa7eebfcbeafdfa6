// @ts-nocheck
import type * as grpc from "@grpc/grpc-js";
import { systemClock, type Clock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type PoolBudget, type Principal, type Registry, type RegistryStore, type Scope } from "@drainkit/registry";
import { createControlClient, type ControlClient } from "../client.ts";
import type { Authenticate } from "../controlService.ts";
import type { HealthService } from "../health.ts";
import { startControlServer } from "../server.ts";

/**
 * An {@link Authenticate} over a fixed token → principal table, for tests and
 * demos. Unknown or missing tokens are unauthenticated.
 *
 * @example
 * addControlService(server, { registry, authenticate: staticTokens({ "op-token": { id: "ops", scopes: ["mesh.operate"] } }) });
 */
export function staticTokens(tokens: Readonly<Record<string, Principal>>): Authenticate {
  const table = new Map(Object.entries(tokens));
  return async (token) => (token === undefined ? undefined : table.get(token));
}

/** The principal of each scope's test token; the same ids `@drainkit/http/testing` uses (the agent is peer `node-a`). */
export const testPrincipals: Readonly<Record<Scope, Principal>> = {
  "mesh.read": { id: "reader", scopes: ["mesh.read"] },
  "mesh.agent": { id: "node-a", scopes: ["mesh.agent"] },
  "mesh.operate": { id: "operator", scopes: ["mesh.operate"] },
  "mesh.admin": { id: "admin", scopes: ["mesh.admin"] },
};

/** The clear-text test token of a scope. */
export const testToken = (scope: Scope): string => `dk_test_${scope.replace(".", "_")}_token`;

/** Options of {@link startTestControlServer}. */
export interface TestControlServerOptions {
  readonly store?: RegistryStore;
  readonly clock?: Clock;
  readonly pools?: readonly PoolBudget[];
}

/** A control service on a real socket, over an in-memory registry. */
export interface TestControlServer {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly server: grpc.Server;
  readonly registry: Registry;
  readonly store: RegistryStore;
  readonly health: HealthService;
  /** A client holding the token of `scope`; `null` sends none; a string sends that token. */
  client(scope: Scope | null | { readonly token: string }): ControlClient;
  close(): Promise<void>;
}

/**
 * Starts `drainkit.control.v1.Control` and grpc.health.v1 on 127.0.0.1 (a
 * free port), backed by `createRegistry` on a memory store, with one test
 * token per scope (clusters `east` active and `west` backup).
 *
 * @example
 * const api = await startTestControlServer();
 * await api.client("mesh.operate").cordon("web-1", { reason: "test" });
 * await api.close();
 */
export async function startTestControlServer(options: TestControlServerOptions = {}): Promise<TestControlServer> {
  const store = options.store ?? makeMemoryStore();
  const registry = createRegistry({
    store,
    clock: options.clock ?? systemClock(),
    ...(options.pools === undefined ? {} : { pools: options.pools }),
    clusters: [{ id: "east", role: "active" }, { id: "west", role: "backup" }],
  });
  const tokens: Record<string, Principal> = {};
  for (const [scope, p] of Object.entries(testPrincipals) as [Scope, Principal][]) tokens[testToken(scope)] = p;
  const { server, health, address } = await startControlServer({ address: "127.0.0.1:0", registry, authenticate: staticTokens(tokens) });
  const clients: ControlClient[] = [];
  return {
    address,
    server,
    registry,
    store,
    health,
    client(scope) {
      const token = scope === null ? undefined : typeof scope === "string" ? testToken(scope) : scope.token;
      const c = createControlClient(address, token === undefined ? {} : { token });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      health.close();
      server.forceShutdown();
    },
  };
}
