import { afterAll, expect, it } from "vitest";
import autocannon, { type Result } from "autocannon";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { request } from "undici";
import type { JobEvent } from "../../src/index.ts";
import { eventually, startControlPlane, startFrontDoor, startReplica, type ControlPlane, type FrontDoor, type Replica } from "./harness.ts";

// SIGTERM goes through the control plane (issue #25): a replica told to stop
// drains its own peer there, so the front door takes it out and its jobs move
// to another replica before it exits; restarted with the README's `--jobs`,
// it asks the registry where each job lives and starts only those still its own.
const IDS = ["svc-a", "svc-b", "svc-c"];
const JOBS = ["job-1", "job-2"];

let cp: ControlPlane | undefined;
let ops: ControlPlaneClient | undefined;
let front: FrontDoor | undefined;
const replicas = new Map<string, Replica>();

afterAll(async () => {
  await front?.stop();
  // SIGKILL: the last replica holding jobs would wait out its drain deadline, with nowhere to move them.
  await Promise.all([...replicas.values()].map((r) => r.kill()));
  await ops?.close();
  await cp?.dispose();
});

const jobsOf = async (r: Replica): Promise<{ jobs: { id: string }[]; history: JobEvent[] }> => (await (await request(`${r.admin}/jobs`)).body.json()) as never;

/** Where each job runs, by asking every replica that is up. */
async function homes(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const r of replicas.values()) for (const j of (await jobsOf(r)).jobs) (out[j.id] ??= []).push(r.id);
  return out;
}

it("a SIGTERMed replica drains through the control plane: its jobs move, nothing fails, it exits 0; restarted with --jobs, a moved job still runs once", async () => {
  cp = await startControlPlane(IDS);
  ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken });
  for (const id of IDS) replicas.set(id, await startReplica({ id, version: "1.0.0", controlPlane: cp, latencyMs: 20, deregistrationDelayMs: 60_000, ...(id === "svc-a" ? { jobs: JOBS } : {}) }));
  await eventually(async () => (await ops!.listPeers({ pool: "example" })).items.filter((p) => p.status !== undefined).length === IDS.length, "every replica registered and reporting");
  // The front door acknowledges removals: a replica's gates close once it took the replica out, not after the delay.
  // A 60 s deregistration delay is longer than the 30 s shutdown drain deadline: the drain ends drained only on the ack.
  front = await startFrontDoor(cp, ["--role", "edge", "--pool", "example", "--retry-min", "8"], { acks: true });
  await eventually(async () => (await front!.health()).members === IDS.length, "the front door routes to every replica");
  await eventually(async () => (await ops!.listPeers({ pool: "example" })).items.every((p) => p.routers?.["front-door"] !== undefined), "the front door registered on every replica");

  let responses = 0;
  let stopLoad = (): void => {};
  const loaded = new Promise<Result>((resolve, reject) => {
    const instance = autocannon({ url: `${front!.url}/slow?ms=20`, connections: 8, duration: 3_600, timeout: 10 }, (e, r) => (e ? reject(e) : resolve(r)));
    instance.on("response", () => void responses++);
    stopLoad = () => instance.stop();
  });
  await eventually(() => responses >= 40, "load flowing");

  const code = await replicas.get("svc-a")!.stop();
  replicas.delete("svc-a");
  const during = responses;
  await eventually(() => responses >= during + 40, "load still flowing after the replica left");
  stopLoad();
  const result = await loaded;

  expect(code).toBe(0);
  expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, resets: result.resets }).toEqual({ non2xx: 0, errors: 0, timeouts: 0, resets: 0 });
  // The drain was the peer's own, through the control plane, and it ended drained.
  const gone = await ops.getPeer("svc-a");
  const peer = gone.spec.drain;
  expect(peer?.requestedBy).toBe("svc-a");
  // The front door acknowledged the drain it took the replica out for.
  expect(gone.routers?.["front-door"]?.acked).toBe(peer?.epoch);
  expect((await ops.drainStatus("svc-a")).status).toBe("drained");
  // Every job runs exactly once, on another replica.
  const moved = await homes();
  for (const job of JOBS) expect(moved[job], job).toHaveLength(1);

  // Restarted with the same --jobs: the agent asks where each job lives; they live elsewhere, so none starts here.
  const again = await startReplica({ id: "svc-a", version: "1.0.0", controlPlane: cp, latencyMs: 20, deregistrationDelayMs: 500, jobs: JOBS });
  replicas.set("svc-a", again);
  await eventually(async () => (await ops!.getPeer("svc-a")).spec.drain === undefined, "the restarted replica ended its own shutdown drain");
  expect((await jobsOf(again)).jobs).toEqual([]);
  const after = await homes();
  for (const job of JOBS) expect(after[job], job).toEqual(moved[job]);
});
