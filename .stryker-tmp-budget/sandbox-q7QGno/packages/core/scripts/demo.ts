// @ts-nocheck
// Drains an in-process node with two participants on the real clock and
// prints each transition. Run: `npx -y pnpm@10.34.9 demo` from the checkout.
import { setTimeout as sleep } from "node:timers/promises";
import { createCountingParticipant, NodeDrainCoordinator, nodePhase, systemClock, type DrainCoordinatorEvent } from "../src/index.ts";

const clock = systemClock();
const t0 = clock.monotonic();
const stamp = (): string => `+${((clock.monotonic() - t0) / 1000).toFixed(3)}s`;
const say = (what: string): void => console.log(`${stamp().padStart(9)}  ${what}`);

function describe(e: DrainCoordinatorEvent): string {
  switch (e.type) {
    case "drain-started":
      return `drain-started       epoch=${e.epoch} reason="${e.reason}" roles=${e.roles.join(",")} participants=${e.participants.join(",")}`;
    case "role-phase-changed":
      return `role-phase-changed  ${e.role}: ${e.from} -> ${e.to} (epoch ${e.epoch})`;
    case "participant-idle":
      return `participant-idle    ${e.participant} has nothing in flight`;
    case "drained":
      return `drained             epoch=${e.epoch} in ${e.durationMs} ms`;
    case "drain-failed":
      return `drain-failed        epoch=${e.epoch} cause=${e.cause} blocking=${e.blocking.join(",")}: ${e.failure}`;
    case "resumed":
      return `resumed             epoch=${e.epoch}`;
  }
}

const http = createCountingParticipant("http", { roles: ["ingest"] });
const jobs = createCountingParticipant("jobs", { roles: ["processing"] });
const coordinator = new NodeDrainCoordinator({
  clock,
  participants: [http, jobs],
  roles: ["ingest", "processing"],
  node: "demo-node",
  events: { emit: (e) => say(describe(e)) },
});

// Work already in flight when the drain starts: requests and jobs finishing over ~1.6 s.
const work: Promise<void>[] = [];
const runUnit = (participant: typeof http, label: string, ms: number): void => {
  if (!participant.begin()) {
    say(`refused             ${label}: ${participant.name} is draining (would get 503 / retry elsewhere)`);
    return;
  }
  work.push(
    sleep(ms).then(() => {
      participant.end();
      say(`finished            ${label} (${participant.name} in flight: ${participant.inFlight()})`);
    }),
  );
};
runUnit(http, "GET /orders/17", 300);
runUnit(http, "POST /checkout", 900);
runUnit(jobs, "job resize-images", 1_200);
runUnit(jobs, "job send-invoices", 1_600);
say(`node phase ${nodePhase(coordinator.node)}; in flight: http=${http.inFlight()} jobs=${jobs.inFlight()}`);

const result = coordinator.drain({ deadline: clock.now() + 10_000, reason: "kernel upgrade" });
runUnit(http, "GET /orders/18 (arrives during the drain)", 10);
const snap = coordinator.snapshot();
say(`snapshot            status=${snap.status} blocking=${snap.blocking.join(",")} ${snap.participants.map((p) => `${p.name}:${p.state}/${p.inFlight}`).join(" ")}`);

const outcome = await result;
await Promise.all(work);
say(`node phase ${nodePhase(coordinator.node)}; safe to upgrade`);
await coordinator.resume();
runUnit(http, "GET /orders/19 (after resume)", 10);
await Promise.all(work);

console.log("");
console.log(
  outcome.status === "drained"
    ? `Summary: drain epoch ${outcome.epoch} ("${outcome.reason}") drained ${outcome.participants.length} participants in ${outcome.durationMs} ms; node resumed and is ${nodePhase(coordinator.node)}.`
    : `Summary: drain epoch ${outcome.epoch} failed (${outcome.cause}): ${outcome.failure}; blocking ${outcome.blocking.join(", ")}.`,
);
if (outcome.status !== "drained") process.exitCode = 1;
