/** The allow-listed runtime settings. */
// @ts-nocheck


/** Schema of one allow-listed setting. */
export type SettingSchema =
  | { readonly type: "integer" | "number"; readonly min?: number; readonly max?: number; readonly default: number; readonly description: string }
  | { readonly type: "string"; readonly pattern?: string; readonly default: string; readonly description: string }
  | { readonly type: "boolean"; readonly default: boolean; readonly description: string }
  | { readonly type: "enum"; readonly values: readonly string[]; readonly default: string; readonly description: string };

/** The allow-list: only these keys may be set, each validated by its schema. */
export type ConfigSchema = Readonly<Record<string, SettingSchema>>;

/** Current settings (defaults filled in) and their version (ETag `"<version>"`, 0 before the first patch). */
export interface RegistryConfig {
  readonly values: Readonly<Record<string, string | number | boolean>>;
  readonly version: number;
}
