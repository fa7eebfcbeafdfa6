// @ts-nocheck
import type { MutationOptions, MutationOutcome, Principal, Registry, Scope } from "@drainkit/registry";

/** What a route handler receives, already authenticated and validated. */
export interface RouteContext {
  readonly registry: Registry;
  readonly principal: Principal;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: Readonly<Record<string, unknown>>;
  readonly options: MutationOptions;
}

/** What a route handler returns; the plugin turns it into a reply. */
export type RouteResult =
  | { readonly kind: "read"; readonly status?: number; readonly body: unknown; readonly etag?: string }
  | { readonly kind: "mutation"; readonly status?: number; readonly outcome: MutationOutcome<unknown>; readonly headers?: Readonly<Record<string, string>> };

/** One route of the control API: its schemas, guard, audit name and handler. */
export interface RouteDefinition {
  readonly method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE";
  /** Fastify path (find-my-way syntax). */
  readonly url: string;
  /** OpenAPI path. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  /** Audit action for mutations; reads are not audited unless refused at the door. */
  readonly action: string;
  readonly mutation: boolean;
  /**
   * Any one of these scopes lets the request through the door; the registry
   * then applies its finer rules (an agent may only touch its own peer).
   */
  readonly anyOf: readonly Scope[];
  /** Audit target for a request to this route. */
  readonly target: (params: Readonly<Record<string, string>>) => string;
  readonly schema: {
    readonly params?: object;
    readonly querystring?: object;
    readonly body?: object;
    readonly headers?: object;
  };
  /** Success responses for the OpenAPI document: status → schema. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: object }>>;
  readonly handle: (ctx: RouteContext) => Promise<RouteResult>;
}
