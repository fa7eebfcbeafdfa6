import { EtagMismatchError, ValidationError } from "./errors.ts";
import { etagOf } from "./peerRecord.ts";
import type { MutationOptions } from "./types/mutation.ts";
import type { PlacedWorkload } from "./types/placement.ts";

/**
 * Input checks shared by the verbs. Each throws a `validation` error that
 * names the field and says what to send instead.
 */

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;
const MAX_PLACEMENT = 10_000;

/** Whether `id` could name a peer, rollout or move: an id that cannot is simply not found. */
export function isId(id: unknown): id is string {
  return typeof id === "string" && ID_PATTERN.test(id);
}

export function validateId(field: string, id: unknown): string {
  if (!isId(id)) {
    throw new ValidationError(field, "use 1-253 characters: letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit");
  }
  return id;
}

export function validateStrings(field: string, v: unknown): readonly string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s.length > 0)) throw new ValidationError(field, "expected a list of non-empty strings");
  return [...new Set(v as string[])];
}

export function validateReason(reason: unknown, field = "reason"): string {
  if (typeof reason !== "string" || reason.trim() === "") throw new ValidationError(field, "say why (a non-empty reason is required)");
  return reason;
}

export function validateLabels(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.values(v).every((s) => typeof s === "string")) {
    throw new ValidationError("labels", "expected an object of string values");
  }
  return { ...(v as Record<string, string>) };
}

export function validateObject(field: string, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ValidationError(field, "expected an object");
  return { ...(v as Record<string, unknown>) };
}

/** The agent's placement, checked entry by entry; the error names the first bad field. */
export function validatePlacement(v: unknown): PlacedWorkload[] {
  if (!Array.isArray(v)) throw new ValidationError("placement", "expected a list of { id, owner? }");
  if (v.length > MAX_PLACEMENT) throw new ValidationError("placement", `at most ${MAX_PLACEMENT} workloads per report`);
  const seen = new Set<string>();
  return v.map((entry: unknown, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new ValidationError(`placement[${i}]`, "expected { id, owner? }");
    const e = entry as Record<string, unknown>;
    // Field names are built only for an error: every heartbeat carries the whole list.
    const id = isId(e["id"]) ? e["id"] : validateId(`placement[${i}].id`, e["id"]);
    if (seen.has(id)) throw new ValidationError(`placement[${i}].id`, `"${id}" is listed twice`);
    seen.add(id);
    if (e["owner"] === undefined) return { id };
    const owner = isId(e["owner"]) ? e["owner"] : validateId(`placement[${i}].owner`, e["owner"]);
    if (owner === id) throw new ValidationError(`placement[${i}].owner`, "a workload cannot own itself");
    return { id, owner };
  });
}

/** If-Match against the target's generation: a weak or unquoted ETag is accepted, `*` always matches. */
export function checkIfMatch(target: string, options: MutationOptions, generation: number): void {
  if (options.ifMatch === undefined || options.ifMatch === "*") return;
  const current = etagOf(generation);
  const sent = options.ifMatch.startsWith("W/") ? options.ifMatch.slice(2) : options.ifMatch;
  const normalised = sent.startsWith('"') ? sent : `"${sent}"`;
  if (normalised !== current) throw new EtagMismatchError(target, options.ifMatch, current);
}
