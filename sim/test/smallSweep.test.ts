// A few seeds of the shipped rolling and failover scenarios, scaled down: the
// sweep the mutation run (`pnpm run mutation`) uses as killing tests beside
// the regressions and the property test. Every invariant is the simulator's
// own, so a core that misbehaves fails here whichever branch it broke. (The
// concurrent-drains and chaos scenarios take seconds a seed even scaled
// down; Simulation.test.ts runs one seed of chaos-10k.)
import { describe, expect, it } from "vitest";
import { loadScenario } from "../src/scenario/load.ts";
import { Simulation } from "../src/Simulation.ts";

const sizes: Readonly<Record<string, number>> = { "rolling-1k": 60, "failover-1k": 40 };
const seeds = [1, 2, 3, 4, 5];

describe("a small sweep of the shipped scenarios", () => {
  for (const [name, nodes] of Object.entries(sizes)) {
    it(`${name} at ${nodes} nodes, seeds ${seeds.join(", ")}: every invariant held, nothing lost, every run finished`, async () => {
      for (const seed of seeds) {
        const r = await new Simulation(loadScenario(name), { nodes, seed }).run();
        expect(r.invariantViolations, `${name} seed ${seed}`).toEqual([]);
        expect(r.finished, `${name} seed ${seed}`).toBe(true);
        expect(r.lostRequests, `${name} seed ${seed}`).toBe(0);
        expect(r.lostWorkloads, `${name} seed ${seed}`).toBe(0);
        expect(r.status, `${name} seed ${seed}`).toBe("completed");
        expect(r.notUpgraded, `${name} seed ${seed}`).toBe(0);
        expect(r.drains.completed, `${name} seed ${seed}`).toBeGreaterThanOrEqual(nodes);
      }
    });
  }
});
