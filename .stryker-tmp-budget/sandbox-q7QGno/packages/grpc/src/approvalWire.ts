// @ts-nocheck
import { approvalNext, type Approval, type ApprovalState, type MutationOutcome, type Scope, type StagedChange } from "@drainkit/registry";
import type { Wire } from "./convert.ts";
import { fromStruct, toStruct, type WireStruct } from "./struct.ts";

/** A staged approval as the `Approval` message; `next` is set on a staged answer. */
export function approvalToWire(a: Approval, next?: string): Wire {
  return {
    id: a.id,
    state: a.state,
    change: toStruct(a.change as unknown as Record<string, unknown>),
    reasons: [...a.reasons],
    requiredScope: a.requiredScope,
    requestedBy: a.requestedBy.id,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
    ...(a.decidedBy === undefined ? {} : { decidedBy: a.decidedBy }),
    ...(a.decidedAt === undefined ? {} : { decidedAt: a.decidedAt }),
    ...(a.decisionReason === undefined ? {} : { decisionReason: a.decisionReason }),
    ...(a.result === undefined ? {} : { result: toStruct(a.result) }),
    version: a.version,
    ...(next === undefined ? {} : { next }),
  };
}

/** A staged approval as the client sees it: the requester's scopes and request options are not on the wire. */
export type WireApproval = Omit<Approval, "requestedBy" | "request"> & { readonly requestedBy: { readonly id: string }; readonly next?: string };

const str = (w: Wire, k: string): string => (typeof w[k] === "string" ? (w[k] as string) : "");
const num = (w: Wire, k: string): number => (typeof w[k] === "number" ? (w[k] as number) : 0);

/** The `Approval` message back as the registry's shape (minus the requester's scopes and options). */
export function approvalFromWire(w: Wire): WireApproval {
  const opt = <K extends string>(k: K): Partial<Record<K, unknown>> => (w[k] === undefined || w[k] === null ? {} : ({ [k]: w[k] } as Record<K, unknown>));
  return {
    id: str(w, "id"),
    state: str(w, "state") as ApprovalState,
    change: fromStruct(w["change"] as WireStruct | null) as unknown as StagedChange,
    reasons: Array.isArray(w["reasons"]) ? [...(w["reasons"] as string[])] : [],
    requiredScope: str(w, "requiredScope") as Scope,
    requestedBy: { id: str(w, "requestedBy") },
    createdAt: num(w, "createdAt"),
    expiresAt: num(w, "expiresAt"),
    ...(opt("decidedBy") as { decidedBy?: string }),
    ...(opt("decidedAt") as { decidedAt?: number }),
    ...(opt("decisionReason") as { decisionReason?: string }),
    ...(w["result"] === undefined || w["result"] === null ? {} : { result: fromStruct(w["result"] as WireStruct) }),
    version: num(w, "version"),
    ...(opt("next") as { next?: string }),
  };
}

/** A staged answer of a verb: `pendingApproval` and the outcome of staging it (the caller adds the resource as it stands, unchanged). */
export function stagedToWire(o: MutationOutcome<Approval>, outcomeToWire: (o: MutationOutcome<unknown>) => Wire): Wire {
  return { pendingApproval: approvalToWire(o.value, approvalNext(o.value)), outcome: outcomeToWire(o) };
}
