// @ts-nocheck
import { sameJson } from "../audit/canonicalJson.ts";
import { applyConfigPatch, configDefaults, type SettingValue } from "../config.ts";
import { ConfirmationRequiredError } from "../errors.ts";
import { CONFIG_KEY } from "../keys.ts";
import { etagOf } from "../peerRecord.ts";
import { requireScope } from "../rbac.ts";
import type { ConfigStore } from "../roles.ts";
import type { ConfigSchema, RegistryConfig } from "../types/config.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import { checkIfMatch } from "../validate.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** What the store holds under `config`: only the overrides; defaults come from the schema. */
export interface ConfigRecord {
  readonly overrides: Readonly<Record<string, SettingValue>>;
  readonly generation: number;
}

/** The settings a stored record (or none) stands for, defaults filled in. */
export function configOf(schema: ConfigSchema, record: ConfigRecord | undefined): RegistryConfig {
  return { values: { ...configDefaults(schema), ...(record?.overrides ?? {}) }, version: record?.generation ?? 0 };
}

/** Current settings, the overrides behind them and the store version they were read at. */
export async function readConfig(
  ctx: RegistryContext,
  forWrite = false,
): Promise<{ config: RegistryConfig; overrides: Readonly<Record<string, SettingValue>>; version: number }> {
  const got = forWrite ? await ctx.view.getForWrite(CONFIG_KEY) : await ctx.view.get(CONFIG_KEY);
  const record = got?.value as ConfigRecord | undefined;
  return { config: configOf(ctx.schema, record), overrides: record?.overrides ?? {}, version: got?.version ?? 0 };
}

/** One setting as a number, for verbs that read their defaults from config (`forWrite`: inside a mutation). */
export async function configNumber(ctx: RegistryContext, key: string, fallback: number, forWrite = true): Promise<number> {
  return Number((await readConfig(ctx, forWrite)).config.values[key] ?? fallback);
}

/** The allow-listed runtime settings. */
export function configVerbs(ctx: RegistryContext): ConfigStore {
  return {
    async getConfig(principal: Principal): Promise<RegistryConfig> {
      requireScope(principal, "mesh.read", "getConfig");
      return (await readConfig(ctx)).config;
    },

    patchConfig(principal: Principal, patch: Readonly<Record<string, unknown>>, options: MutationOptions = {}): Promise<MutationOutcome<RegistryConfig>> {
      let before: string | undefined;
      return ctx.mutate({ principal, action: "patchConfig", target: "config", options, request: patch, etagBefore: () => before }, async () => {
        requireScope(principal, "mesh.admin", "patchConfig");
        if (options.confirm !== true) throw new ConfirmationRequiredError("patchConfig");
        const { config, overrides, version } = await readConfig(ctx, true);
        before = etagOf(config.version);
        checkIfMatch("config", options, config.version);
        const next = applyConfigPatch(ctx.schema, overrides, patch);
        if (sameJson(next, overrides)) return { write: false, etag: etagOf(config.version), result: config };
        const record: ConfigRecord = { overrides: next, generation: config.version + 1 };
        const value = configOf(ctx.schema, record);
        return { write: true, key: CONFIG_KEY, readVersion: version, record, etagBefore: etagOf(config.version), etagAfter: etagOf(record.generation), result: value };
      });
    },
  };
}
