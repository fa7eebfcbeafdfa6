import type { Command } from "commander";
import { RestControlClient, type ControlClient } from "./client.ts";
import { resolveConnection } from "./contexts.ts";
import { GrpcControlClient } from "./grpcClient.ts";
import { usageError } from "./errors.ts";
import { parseOutputSpec, render, type OutputFormat, type OutputSpec, type TableView } from "./output.ts";
import { outputWidth, wrap } from "./terminal/width.ts";

/** Options every command understands (they may appear before or after the verb). */
export interface GlobalOptions {
  readonly server?: string;
  /** `host:port` of the gRPC API: verbs it covers go over gRPC instead of REST. */
  readonly grpc?: string;
  readonly token?: string;
  readonly context?: string;
  /** `-o` as typed: table, wide, name, json, yaml or jsonpath=<template>. */
  readonly output: string;
  readonly debug?: boolean;
}

/** What a command's action needs: its client, its output format, and where to write. */
export class Session {
  readonly options: GlobalOptions;
  #client: ControlClient | undefined;

  readonly output: OutputSpec;

  constructor(command: Command) {
    this.options = command.optsWithGlobals() as GlobalOptions;
    this.output = parseOutputSpec(this.options.output ?? "table");
  }

  /** REST, or gRPC when an address was chosen (falling back to REST, when a server was named too, for verbs gRPC lacks). */
  get client(): ControlClient {
    if (this.#client === undefined) {
      const c = resolveConnection(this.options);
      this.#client =
        c.grpc === undefined
          ? new RestControlClient(c)
          : new GrpcControlClient({ address: c.grpc, token: c.token, ...(c.serverGiven === true ? { rest: new RestControlClient(c) } : {}) });
    }
    return this.#client;
  }

  get format(): OutputFormat {
    return this.output.format;
  }

  /** Human output (a table, `-o wide`) rather than data for a program. */
  get human(): boolean {
    return this.output.format === "table" || this.output.format === "wide";
  }

  /** The columns stdout's lines must fit (undefined: a pipe, whole lines). */
  get width(): number | undefined {
    return this.output.format === "wide" ? undefined : outputWidth(process.stdout);
  }

  print(value: unknown, table: () => TableView | string): void {
    process.stdout.write(render(this.output, value, table, this.width));
  }

  /** Progress and notes go to stderr so stdout stays parseable. */
  note(text: string): void {
    process.stderr.write(`${wrap(text, outputWidth(process.stderr))}\n`);
  }
}

/** `--reason` and `--ticket` shared by every mutation. */
export interface AuditFields {
  readonly reason?: string;
  readonly ticket?: string;
}

export function auditFields(o: AuditFields): { reason?: string; ticket?: string } {
  return { ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.ticket !== undefined ? { ticket: o.ticket } : {}) };
}

export function requireReason(o: AuditFields, verb: string): string {
  if (o.reason === undefined || o.reason.trim() === "") throw usageError(`${verb} needs --reason (it is recorded in the audit log)`, `Add e.g. --reason "kernel upgrade" --ticket CHG-1234.`);
  return o.reason;
}
