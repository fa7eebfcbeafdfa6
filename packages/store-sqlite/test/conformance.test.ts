import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRegistryStoreConformance } from "@drainkit/registry/testing";
import { makeSqliteStore, type SqliteStore } from "../src/index.ts";

// Every store of one case shares a file, like control-plane replicas on one host.
runRegistryStoreConformance("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "drainkit-sqlite-conformance-"));
  const path = join(dir, "registry.db");
  const opened: SqliteStore[] = [];
  const open = (): SqliteStore => {
    const store = makeSqliteStore({ path, pollIntervalMs: 20 });
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    connect: async () => open(),
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runRegistryStoreConformance("sqlite :memory:", async () => {
  const store = makeSqliteStore({ path: ":memory:" });
  return { store, cleanup: () => store.close() };
});

// Transactions committed on the caller's thread instead of the write thread.
runRegistryStoreConformance('sqlite writer "main"', async () => {
  const dir = mkdtempSync(join(tmpdir(), "drainkit-sqlite-conformance-main-"));
  const path = join(dir, "registry.db");
  const opened: SqliteStore[] = [];
  const open = (): SqliteStore => {
    const store = makeSqliteStore({ path, pollIntervalMs: 20, writer: "main" });
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    connect: async () => open(),
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
