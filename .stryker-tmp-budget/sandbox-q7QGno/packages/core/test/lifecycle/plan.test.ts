// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "../../src/testing/index.ts";
import {
  DependencyCycleError,
  DuplicateComponentError,
  MissingDependencyError,
  planLifecycle,
  type PlanInput,
} from "../../src/index.ts";
import { randomDag, randomDigraph } from "./harness.ts";

// Reference: a graph is acyclic iff repeatedly removing nodes with no
// remaining dependencies removes them all.
function hasCycle(graph: readonly PlanInput[]): boolean {
  const left = new Map(graph.map((c) => [c.name, new Set(c.dependsOn ?? [])]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, deps] of left) {
      if ([...deps].every((d) => !left.has(d))) {
        left.delete(name);
        changed = true;
      }
    }
  }
  return left.size > 0;
}

describe("planLifecycle", () => {
  it("orders every random DAG so each component comes after its dependencies, ties in registration order", () => {
    fc.assert(
      fc.property(randomDag({ maxComponents: 40 }), (graph) => {
        const plan = planLifecycle(graph);
        expect([...plan.order].sort()).toEqual(graph.map((c) => c.name).sort());
        const position = new Map(plan.order.map((n, i) => [n, i]));
        const waveOf = new Map(plan.waves.flatMap((w, i) => w.map((n) => [n, i] as const)));
        const registered = new Map(graph.map((c, i) => [c.name, i]));
        for (const c of graph) {
          for (const d of c.dependsOn ?? []) expect(position.get(d)!).toBeLessThan(position.get(c.name)!);
          // A component's wave is one past its deepest dependency: it starts as early as it can.
          const deepest = Math.max(-1, ...(c.dependsOn ?? []).map((d) => waveOf.get(d)!));
          expect(waveOf.get(c.name)).toBe(deepest + 1);
        }
        for (const wave of plan.waves) {
          const indices = wave.map((n) => registered.get(n)!);
          expect(indices).toEqual([...indices].sort((a, b) => a - b));
        }
        expect(planLifecycle(graph)).toEqual(plan);
      }), fcParams(),
    );
  });

  it("detects every cycle and names a real one, first component repeated at the end", () => {
    fc.assert(
      fc.property(randomDigraph({ maxComponents: 15 }), (graph) => {
        const edges = new Map(graph.map((c) => [c.name, new Set(c.dependsOn ?? [])]));
        if (!hasCycle(graph)) {
          expect(() => planLifecycle(graph)).not.toThrow();
          return;
        }
        let error: unknown;
        try {
          planLifecycle(graph);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(DependencyCycleError);
        const path = (error as DependencyCycleError).path;
        expect(path.length).toBeGreaterThanOrEqual(2);
        expect(path[0]).toBe(path[path.length - 1]);
        expect(new Set(path.slice(1)).size).toBe(path.length - 1);
        for (let i = 0; i + 1 < path.length; i++) expect(edges.get(path[i]!)!.has(path[i + 1]!)).toBe(true);
        expect((error as DependencyCycleError).code).toBe("lifecycle-dependency-cycle");
        expect((error as DependencyCycleError).message).toContain(path.join(" -> "));
      }), fcParams(),
    );
  });

  it("reports a self-dependency as a cycle of one", () => {
    expect(() => planLifecycle([{ name: "a", dependsOn: ["a"] }])).toThrow(expect.objectContaining({ path: ["a", "a"] }));
  });

  it("names the component and the dependency that is missing", () => {
    const attempt = (): unknown => planLifecycle([{ name: "db" }, { name: "http", dependsOn: ["db", "cache"] }]);
    expect(attempt).toThrow(MissingDependencyError);
    expect(attempt).toThrow(expect.objectContaining({ code: "lifecycle-missing-dependency", details: { component: "http", dependency: "cache" } }));
  });

  it("refuses two components with one name", () => {
    expect(() => planLifecycle([{ name: "a" }, { name: "a" }])).toThrow(DuplicateComponentError);
  });

  it("orders a 10 000-long chain without overflowing the stack", () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, dependsOn: i === 0 ? [] : [`c${i - 1}`] })).reverse();
    const plan = planLifecycle(chain);
    expect(plan.waves).toHaveLength(10_000);
    expect(plan.order[0]).toBe("c0");
    expect(plan.order[9_999]).toBe("c9999");
  });
});
