// @ts-nocheck
// Requests, retries and drops per drain through the shipped proxy, beside a
// no-drain baseline run the same way, and beside the unordered drain the
// issue measured (the gate closes as the router hears of the drain, no
// retries). Three real node:http upstreams gated by the HTTP drain
// participant, a router on an in-memory source, keep-alive clients. Prints
// counts; nothing here asserts.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { figure } from "@drainkit/bench";
import { systemClock } from "@drainkit/core";
import { createHttpDrainParticipant, type HttpDrainParticipant } from "@drainkit/http";
import { Agent, request } from "undici";
import { createRoleProxy, startRouter, type RoutingPeer } from "../src/index.ts";
import { memoryPeerSource } from "../src/testing/index.ts";

const CYCLES = Number(process.env["DRAINKIT_BENCH_DRAINS"] ?? 30);
const WORKERS = 16;
const CYCLE_MS = 150;

interface Scenario {
  readonly name: string;
  /** Drain one member per cycle, or only let load run. */
  readonly drains: boolean;
  /** Router hears first and the gate closes after this delay; 0 with `ordered: false` closes it first. */
  readonly ordered: boolean;
  readonly retries: boolean;
  /** The router acknowledges the removal (as `acknowledgeRemovals` does): the gate refuses then, not after a delay. */
  readonly acked?: boolean;
}

interface Outcome {
  readonly requests: number;
  readonly seconds: number;
  readonly drops: number;
  readonly retries: number;
  readonly drains: number;
}

const peerOf = (id: string, address: string, phase: "active" | "draining"): RoutingPeer => ({ id, address, roles: ["edge"], pools: ["bench"], labels: {}, phases: { edge: phase }, epoch: 0, spec: { cordons: {} } });

async function run(s: Scenario): Promise<Outcome> {
  const upstreams: { id: string; address: string; server: Server; gate: HttpDrainParticipant }[] = [];
  for (const id of ["u1", "u2", "u3"]) {
    const server = createServer((_req, res) => void setTimeout(() => res.end(id), 5));
    // Acknowledged drains wait for the router's word; a delay far past it shows when one never came.
    const gate = createHttpDrainParticipant(server, { deregistrationDelayMs: s.acked === true ? 60_000 : s.ordered ? 100 : 0 });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    upstreams.push({ id, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, gate });
  }
  const source = memoryPeerSource(upstreams.map((u) => peerOf(u.id, u.address, "active")));
  const router = await startRouter({ source, clock: systemClock() });
  const proxy = createRoleProxy({ balancer: router.balancer("edge", { strategy: "round-robin" }), ...(s.retries ? {} : { retry: false }) });
  const front = createServer(proxy.handle).listen(0, "127.0.0.1");
  await once(front, "listening");
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/`;
  const client = new Agent({ connections: WORKERS });

  let stop = false;
  let requests = 0;
  let drops = 0;
  const workers = Array.from({ length: WORKERS }, async () => {
    while (!stop) {
      requests++;
      try {
        const res = await request(url, { dispatcher: client });
        await res.body.dump();
        if (res.statusCode !== 200) drops++;
      } catch {
        drops++;
      }
    }
  });

  let drains = 0;
  const started = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    if (s.drains) {
      const u = upstreams[i % upstreams.length]!;
      let closed: Promise<void>;
      if (s.ordered) {
        source.put(peerOf(u.id, u.address, "draining"));
        closed = u.gate.drain();
        if (s.acked === true) {
          // The router applied the removal (the memory source is synchronous): acknowledge it now.
          if (router.members("edge").some((m) => m.id === u.id)) throw new Error(`${u.id} still routable after its drain`);
          u.gate.deregistered();
        }
      } else {
        // The race the issue measured: the gate closes in the same moment the router learns of the drain.
        closed = u.gate.drain();
        source.put(peerOf(u.id, u.address, "draining"));
      }
      await closed;
      await u.gate.whenIdle();
      drains++;
      u.gate.resume();
      source.put(peerOf(u.id, u.address, "active"));
    }
    await new Promise((r) => setTimeout(r, CYCLE_MS));
  }
  stop = true;
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1_000;
  const retries = proxy.stats().retries.draining + proxy.stats().retries.connect;
  front.close();
  await client.close();
  await proxy.close();
  router.close();
  for (const u of upstreams) {
    u.server.closeAllConnections();
    u.server.close();
  }
  return { requests, seconds, drops, retries, drains };
}

const baseline = await run({ name: "baseline", drains: false, ordered: true, retries: true });
const shipped = await run({ name: "ordered", drains: true, ordered: true, retries: true });
const acked = await run({ name: "ordered+acked", drains: true, ordered: true, retries: true, acked: true });
const retriesOnly = await run({ name: "unordered+retries", drains: true, ordered: false, retries: true });
const unordered = await run({ name: "unordered", drains: true, ordered: false, retries: false });
const per = (n: number, d: number): number => (d === 0 ? 0 : n / d);

figure("routing.drain.requests_per_s", shipped.requests / shipped.seconds, "requests/s", { baseline: baseline.requests / baseline.seconds, baselineName: "same load, no drains", requests: shipped.requests, drains: shipped.drains, workers: WORKERS });
figure("routing.drain.retries_per_drain", per(shipped.retries, shipped.drains), "retries/drain", { retries: shipped.retries, drains: shipped.drains, baselineRetries: baseline.retries });
figure("routing.drain.drops_per_drain", per(shipped.drops, shipped.drains), "drops/drain", { drops: shipped.drops, requests: shipped.requests, drains: shipped.drains, baselineDrops: baseline.drops, baselineRequests: baseline.requests, note: "ordered drain (router first, gate after 100 ms) + proxy retries" });
figure("routing.drain.acked.drops_per_drain", per(acked.drops, acked.drains), "drops/drain", {
  drops: acked.drops,
  retriesPerDrain: per(acked.retries, acked.drains),
  requests: acked.requests,
  drains: acked.drains,
  baselineDrops: baseline.drops,
  baselineRequests: baseline.requests,
  note: "ordered drain whose gate refuses as soon as the router acknowledged the removal (no deregistration delay) + proxy retries",
});
figure("routing.drain.unordered_with_retries.drops_per_drain", per(retriesOnly.drops, retriesOnly.drains), "drops/drain", {
  drops: retriesOnly.drops,
  retriesPerDrain: per(retriesOnly.retries, retriesOnly.drains),
  requests: retriesOnly.requests,
  drains: retriesOnly.drains,
  note: "gate closes as the router hears; the proxy's retries alone (bursts of resets on one drain exceed the retry budget's floor of 3)",
});
figure("routing.drain.unordered.drops_per_drain", per(unordered.drops, unordered.drains), "drops/drain", {
  drops: unordered.drops,
  requests: unordered.requests,
  drains: unordered.drains,
  note: "gate closes as the router hears, no retries (the issue's race)",
});
