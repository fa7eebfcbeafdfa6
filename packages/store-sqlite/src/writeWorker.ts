// The SQLite store's write thread: it owns the connection every write goes
// through, so the COMMIT's fsync blocks this thread, not the caller's event
// loop. Requests that arrive while a batch commits are committed together in
// the next one (one fsync). Loaded by URL from ./makeSqliteStore.ts (as .ts in
// the workspace, Node strips the types; as .js from dist/).
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { failureOf, makeWriter, type WriteFailure, type WriteReply, type WriteRequest } from "./writes.ts";

/** What the store hands the thread at start. */
export interface WriteWorkerData {
  readonly path: string;
  readonly synchronous: "FULL" | "NORMAL";
  readonly busyTimeoutMs: number;
  readonly historyRevisions: number;
}

/** Main thread → worker. */
export type ToWorker = { readonly id: number; readonly request: WriteRequest } | { readonly close: true };
/** Worker → main thread: the replies of one committed batch, or the answer to close. */
export type FromWorker = { readonly replies: readonly { readonly id: number; readonly reply: WriteReply }[] } | { readonly closed: true };

/** Most writes in one transaction; more wait for the next. */
const BATCH_LIMIT = 1024;

const port = parentPort;
if (port === null) throw new Error("writeWorker.ts runs as a worker thread of the SQLite store");
const data = workerData as WriteWorkerData;

let write: ((batch: readonly WriteRequest[]) => WriteReply[]) | undefined;
let db: DatabaseSync | undefined;
let openFailure: WriteFailure | undefined;
try {
  db = new DatabaseSync(data.path);
  db.exec(`PRAGMA busy_timeout = ${data.busyTimeoutMs}`);
  db.exec(`PRAGMA synchronous = ${data.synchronous}`);
  write = makeWriter(db, data.historyRevisions);
} catch (error) {
  openFailure = failureOf(error);
}

const queue: { id: number; request: WriteRequest }[] = [];
let closing = false;
let flushQueued = false;

const flush = (): void => {
  flushQueued = false;
  while (queue.length > 0) {
    const batch = queue.splice(0, BATCH_LIMIT);
    const replies: WriteReply[] =
      write === undefined ? batch.map(() => ({ ok: false, failure: openFailure ?? { message: "the write connection is not open" } })) : write(batch.map((b) => b.request));
    port.postMessage({ replies: batch.map((b, i) => ({ id: b.id, reply: replies[i]! })) } satisfies FromWorker);
  }
  // A connection that could not open fails what was sent, and the thread
  // ends: the next write starts a new one, which tries again.
  if (closing || write === undefined) {
    db?.close();
    port.postMessage({ closed: true } satisfies FromWorker);
    port.close();
  }
};

port.on("message", (message: ToWorker) => {
  if ("close" in message) closing = true;
  else queue.push({ id: message.id, request: message.request });
  // After the messages already in the port: every request that came in
  // during the last commit joins this batch.
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flush);
  }
});
