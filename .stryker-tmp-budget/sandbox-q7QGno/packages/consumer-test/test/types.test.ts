// @ts-nocheck
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { expect, inject, it } from "vitest";
import { NODE, run } from "./run.ts";

const { project, packed } = inject("consumer");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

// What a TypeScript user writes: NodeNext, strict, no allowImportingTsExtensions,
// no skipLibCheck (every shipped .d.ts is checked), nothing but the installed packages.
const tsconfig = {
  compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, exactOptionalPropertyTypes: true, noEmit: true, types: ["node"] },
  files: ["consumer.ts"],
};

const consumer = `
import { createServer } from "node:http";
import { NodeDrainCoordinator, systemClock, type DrainParticipant } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, createRegistry, type Registry } from "@drainkit/registry";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { createHttpDrainParticipant } from "@drainkit/http";
import { DrainAgent } from "@drainkit/agent";
import { renderLineChart } from "@drainkit/charts";
import { Simulation } from "@drainkit/sim";
${packed.map((p, i) => `import * as ns${i} from "${p.name}";`).join("\n")}

const clock = systemClock();
const registry: Registry = createRegistry({ store: makeMemoryStore(), clock, pools: [{ name: "web", minAvailable: 1 }] });
const server = createServer((_req, res) => res.end("ok"));
const http: DrainParticipant = createHttpDrainParticipant(server);
const coordinator = new NodeDrainCoordinator({ clock, participants: [http], roles: ["edge"], node: "web-1" });
const agent = new DrainAgent({
  controlPlane: { url: "http://127.0.0.1:7400", token: "t" },
  peer: { id: "web-1", address: "127.0.0.1:8080", pools: ["web"], roles: ["edge"] },
  coordinator,
  clock,
});
const svg: string = renderLineChart({ title: "t", series: [{ name: "a", points: [[0, 1]] }] });
const sqlite = makeSqliteStore;
const virtual = new SimulatedClock();
export const used = [registry, agent, svg, sqlite, virtual, Simulation, ${packed.map((_, i) => `ns${i}`).join(", ")}];
`;

it("type-checks a strict NodeNext consumer against the installed declarations", () => {
  writeFileSync(join(project, "tsconfig.json"), `${JSON.stringify(tsconfig, null, 2)}\n`);
  writeFileSync(join(project, "consumer.ts"), consumer);
  const r = run(NODE, [tsc, "-p", "tsconfig.json"], { cwd: project, allowFailure: true });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});
