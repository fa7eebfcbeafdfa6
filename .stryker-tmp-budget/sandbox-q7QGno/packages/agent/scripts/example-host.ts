// @ts-nocheck
// The README's example host, kept here so typecheck and lint cover it.
// Run: DRAINKIT_TOKEN=<mesh.agent token for web-1> npx tsx scripts/example-host.ts
import { createServer } from "node:http";
import Fastify from "fastify";
import { NodeDrainCoordinator, systemClock } from "@drainkit/core";
import { createHttpDrainParticipant } from "@drainkit/http";
import { DrainAgent, upgradeRoutes } from "@drainkit/agent";

const clock = systemClock();
const server = createServer((_req, res) => void setTimeout(() => res.end("ok\n"), 200));
const http = createHttpDrainParticipant(server); // 503 + Retry-After while draining
const coordinator = new NodeDrainCoordinator({ clock, participants: [http], roles: ["edge"], node: "web-1" });
await new Promise<void>((resolve) => server.listen(8080, "127.0.0.1", resolve));

const agent = new DrainAgent({
  controlPlane: { url: "http://127.0.0.1:7400", token: process.env.DRAINKIT_TOKEN! },
  peer: { id: "web-1", address: "127.0.0.1:8080", pools: ["web"], roles: ["edge"], labels: { version: "1.0.0" } },
  coordinator,
  clock,
  heartbeatMs: 5_000,
});
await agent.start(); // registered, spec reconciled, first status reported

// The host's own routes go on a listener of their own: a draining server answers 503 to everything.
const admin = Fastify();
await admin.register(upgradeRoutes, { coordinator, agent, token: process.env.HOST_ADMIN_TOKEN ?? "change-me" });
await admin.listen({ host: "127.0.0.1", port: 9901 });

process.once("SIGTERM", async () => {
  await coordinator.drain({ deadline: clock.now() + 30_000, reason: "shutdown" });
  await agent.stop();
  await admin.close();
  server.close();
});
