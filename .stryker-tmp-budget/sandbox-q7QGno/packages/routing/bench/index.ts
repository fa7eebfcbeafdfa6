// @ts-nocheck
// Route picks per second per strategy over 1,000 routable members, each
// beside a plain array round-robin measured in the same run; and how fast the
// router applies a change from its feed. Prints figures only.
import { figure, opsPerSecond } from "@drainkit/bench";
import { SimulatedClock } from "@drainkit/core/testing";
import { startRouter, type RoutingPeer } from "../src/index.ts";
import { memoryPeerSource } from "../src/testing/index.ts";

const NODES = 1_000;
const peer = (i: number, phase: RoutingPeer["phases"][string]): RoutingPeer => ({
  id: `node-${String(i).padStart(4, "0")}`,
  address: `10.0.${i >> 8}.${i & 255}:8080`,
  roles: ["edge"],
  pools: ["web"],
  labels: {},
  phases: { edge: phase },
  epoch: 0,
  spec: { cordons: {} },
});

const source = memoryPeerSource(Array.from({ length: NODES }, (_, i) => peer(i, "active")));
const router = await startRouter({ source, clock: new SimulatedClock({ start: 0 }) });

const plain = Array.from({ length: NODES }, (_, i) => `10.0.${i >> 8}.${i & 255}:8080`);
let cursor = 0;
let sink = "";
const baseline = opsPerSecond(() => {
  sink = plain[cursor++ % plain.length]!;
});

const rr = router.balancer("edge", { strategy: "round-robin" });
figure("routing.pick.round_robin.n1000", opsPerSecond(() => void (sink = rr.pick().id)), "picks/s", { baseline, baselineName: "plain array round-robin", nodes: NODES });

const lif = router.balancer("edge", { strategy: "least-in-flight" });
const held = Array.from({ length: NODES / 2 }, () => lif.acquire());
figure("routing.pick.least_in_flight.n1000", opsPerSecond(() => void (sink = lif.pick().id)), "picks/s", { baseline, baselineName: "plain array round-robin", nodes: NODES, inFlight: held.length });
for (const h of held) h.release();

const ch = router.balancer("edge", { strategy: "consistent-hash", maxSessions: 100_000 });
let session = 0;
figure("routing.pick.consistent_hash.n1000", opsPerSecond(() => void (sink = ch.pick(`session-${session++ % 50_000}`).id)), "picks/s", {
  baseline,
  baselineName: "plain array round-robin",
  nodes: NODES,
  sessions: 50_000,
});

// One drain and one resume per iteration: each flips routability, so strategies rebuild on the next pick.
let flip = 0;
figure(
  "routing.apply_change.n1000",
  opsPerSecond(() => {
    const i = flip++ % NODES;
    source.put(peer(i, flip % 2 === 0 ? "active" : "draining"));
    sink = rr.pick().id;
  }, 300),
  "changes/s",
  { nodes: NODES, note: "feed change applied, then one round-robin pick" },
);
router.close();
if (sink === "never") console.log(sink);

// Requests, retries and drops per drain (real sockets; prints counts).
await import("./drains.ts");
