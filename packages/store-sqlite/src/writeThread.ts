import { Worker } from "node:worker_threads";
import { SqliteStoreError, classifySqliteError } from "./errors.ts";
import type { FromWorker, ToWorker, WriteWorkerData } from "./writeWorker.ts";
import type { WriteFailure, WriteReply, WriteRequest } from "./writes.ts";

// Installed, this file is dist/writeThread.js and the worker plain JavaScript
// beside it; in the workspace (tsx, vitest) both are TypeScript, which Node
// runs by stripping the types (the worker imports only node builtins and ./writes.ts).
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./writeWorker.ts" : "./writeWorker.js", import.meta.url);

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** A driver failure that crossed the thread, as the typed error the store raises. */
export function errorOfFailure(failure: WriteFailure, path: string): Error {
  const error = Object.assign(new Error(failure.message), {
    ...(failure.errcode === undefined ? {} : { errcode: failure.errcode }),
    ...(failure.errstr === undefined ? {} : { errstr: failure.errstr }),
    ...(failure.code === undefined ? {} : { code: failure.code }),
  });
  return classifySqliteError(error, path);
}

/**
 * The caller's side of the write thread: posts each write, resolves it with
 * the reply the thread sends after the COMMIT that holds it returned. The
 * thread keeps the process alive only while writes are in flight. If it dies
 * (a crash, not close), every write in flight rejects with `store-unavailable`
 * (whether it committed is unknown: SQLite committed all of a transaction or
 * none of it) and the next write starts a new thread.
 */
export class WriteThread {
  readonly #data: WriteWorkerData;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 1;
  #closing: Promise<void> | undefined;

  constructor(data: WriteWorkerData) {
    this.#data = data;
    this.#worker = this.#spawn();
  }

  /** Commits `request` on the thread; resolves with its result, or rejects with the store's typed error. */
  submit(request: WriteRequest): Promise<unknown> {
    if (this.#closing !== undefined) {
      return Promise.reject(new SqliteStoreError("store-closed", `SQLite store ${this.#data.path} is closed; open a new one with makeSqliteStore.`, { details: { path: this.#data.path } }));
    }
    const worker = this.#worker ?? (this.#worker = this.#spawn());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, request } satisfies ToWorker);
    });
  }

  /** Answers every write already submitted, then ends the thread. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const worker = this.#worker;
    if (worker === undefined) return (this.#closing = Promise.resolve());
    worker.ref();
    this.#closing = new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.postMessage({ close: true } satisfies ToWorker);
    });
    return this.#closing;
  }

  /** Stops the thread at once, as a crash would (for tests of the crash path). */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(workerUrl, { workerData: this.#data, name: "drainkit-sqlite-writer" });
    worker.unref();
    let failure: Error | undefined;
    worker.on("message", (message: FromWorker) => {
      if (!("replies" in message)) return;
      for (const { id, reply } of message.replies) this.#settle(id, reply);
      if (this.#pending.size === 0 && this.#closing === undefined) worker.unref();
    });
    worker.on("error", (error) => (failure = error));
    worker.on("exit", (exitCode) => {
      if (this.#worker === worker) this.#worker = undefined;
      if (this.#pending.size === 0) return;
      const { path } = this.#data;
      const lost = new SqliteStoreError(
        "store-unavailable",
        `The write thread of SQLite store ${path} stopped (exit code ${exitCode}) with ${this.#pending.size} write(s) in flight; each committed entirely or not at all: read the keys back before retrying.`,
        { cause: failure, details: { path, exitCode, inFlight: this.#pending.size } },
      );
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) p.reject(lost);
    });
    return worker;
  }

  #settle(id: number, reply: WriteReply): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(errorOfFailure(reply.failure, this.#data.path));
  }
}
