/**
 * google.protobuf.Struct / Value in the shape proto-loader reads and writes
 * (`oneofs: true`), converted to and from plain JSON. Metadata, merge patches
 * and config values are free-form JSON in the registry, so they travel as
 * Struct rather than as a message that would have to guess their keys.
 */
// @ts-nocheck


/** A google.protobuf.Value as proto-loader hands it over. */
export interface WireValue {
  readonly nullValue?: string | number;
  readonly numberValue?: number;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly structValue?: WireStruct | null;
  readonly listValue?: { readonly values?: readonly WireValue[] } | null;
  readonly kind?: string;
}

export interface WireStruct {
  readonly fields?: Readonly<Record<string, WireValue>>;
}

export function toValue(v: unknown): WireValue {
  if (v === null || v === undefined) return { nullValue: "NULL_VALUE" };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  if (typeof v === "object") return { structValue: toStruct(v as Record<string, unknown>) };
  return { stringValue: String(v) };
}

export function toStruct(o: Readonly<Record<string, unknown>>): WireStruct {
  const fields: Record<string, WireValue> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

export function fromValue(v: WireValue | null | undefined): unknown {
  if (v === null || v === undefined) return null;
  switch (v.kind) {
    case "numberValue":
      return v.numberValue;
    case "stringValue":
      return v.stringValue;
    case "boolValue":
      return v.boolValue;
    case "structValue":
      return fromStruct(v.structValue);
    case "listValue":
      return (v.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}

export function fromStruct(s: WireStruct | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}
