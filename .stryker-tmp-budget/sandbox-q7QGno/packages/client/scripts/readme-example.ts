// @ts-nocheck
// The README's first example, runnable: a control API on 127.0.0.1 (the
// test server of @drainkit/http), then the client against it.
import { startTestControlApi } from "@drainkit/http/testing";
import { createControlPlaneClient, readAll } from "../src/index.ts";

const api = await startTestControlApi();
const url = api.url;
const token = api.tokens["mesh.operate"];

// --- README example starts
const cp = createControlPlaneClient({ url, token });
await cp.registerPeer({ id: "web-1", address: "10.0.0.1:8080", pools: ["web"], roles: ["edge"] });
await cp.registerPeer({ id: "web-2", address: "10.0.0.2:8080", pools: ["web"], roles: ["edge"] });

// Every page of the listing, and the revision to follow the event stream from.
const { items, revision } = await readAll((cursor) => cp.listPeers({ limit: 1, ...(cursor === undefined ? {} : { cursor }) }));
console.log(items.map((p) => `${p.id} ${p.phase}`));

// Follow changes after that revision; the watch resumes with Last-Event-ID after a break.
const seen = new Promise<string>((resolve) => {
  const w = cp.watch(revision, (c) => (w.close(), resolve(`${c.kind} ${c.id} at revision ${c.revision}`)), console.error, { kinds: ["peer"] });
});
await cp.drain("web-1", { reason: "kernel upgrade", ticket: "CHG-42" }, { idempotencyKey: "drain-web-1-chg42" });
console.log(await seen);
await cp.close();
// --- README example ends

await api.close();
