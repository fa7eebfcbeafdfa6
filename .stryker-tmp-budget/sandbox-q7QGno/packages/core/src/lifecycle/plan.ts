// @ts-nocheck
import { DependencyCycleError, DuplicateComponentError, MissingDependencyError } from "./errors.ts";

/** The dependency graph, reduced to what ordering needs. */
export interface PlanInput {
  readonly name: string;
  readonly dependsOn?: readonly string[];
}

/**
 * Start order as waves: a component's wave is one past its deepest dependency,
 * and within a wave components keep registration order. Stop walks the waves
 * backwards.
 */
export interface LifecyclePlan {
  readonly waves: readonly (readonly string[])[];
  /** The waves flattened: a topological order, the same on every run. */
  readonly order: readonly string[];
}

/**
 * Orders components so each comes after everything it depends on. Pure: the
 * same registrations give the same plan, whatever the timing of any run.
 *
 * Waves (rather than "start each component the moment its dependencies are
 * up") are what make the recorded order independent of how long each start
 * takes: a whole wave is started, in registration order, before the next.
 *
 * @throws {DuplicateComponentError | MissingDependencyError | DependencyCycleError}
 * @example
 * planLifecycle([{ name: "db" }, { name: "http", dependsOn: ["db"] }, { name: "metrics" }]);
 * // { waves: [["db", "metrics"], ["http"]], order: ["db", "metrics", "http"] }
 */
export function planLifecycle(components: readonly PlanInput[]): LifecyclePlan {
  const index = new Map<string, number>();
  components.forEach((c, i) => {
    if (index.has(c.name)) throw new DuplicateComponentError(c.name);
    index.set(c.name, i);
  });

  const deps: number[][] = components.map((c) => {
    const seen = new Set<number>();
    for (const d of c.dependsOn ?? []) {
      const j = index.get(d);
      if (j === undefined) throw new MissingDependencyError(c.name, d);
      seen.add(j);
    }
    return [...seen];
  });

  // Kahn's algorithm, iterative so a 10 000-long chain cannot overflow the stack.
  const dependents: number[][] = components.map(() => []);
  const waiting = deps.map((d) => d.length);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d]!.push(i)));
  const wave = new Array<number>(components.length).fill(0);
  const queue: number[] = [];
  waiting.forEach((w, i) => {
    if (w === 0) queue.push(i);
  });
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    for (const j of dependents[i]!) {
      wave[j] = Math.max(wave[j]!, wave[i]! + 1);
      if (--waiting[j]! === 0) queue.push(j);
    }
  }
  if (queue.length < components.length) throw new DependencyCycleError(findCycle(components, deps, waiting));

  const waves: string[][] = [];
  components.forEach((c, i) => (waves[wave[i]!] ??= []).push(c.name));
  return { waves, order: waves.flat() };
}

// Every component Kahn could not order has at least one unordered dependency,
// so following the first one from the first such component must revisit a
// component: the path from that first visit is the cycle.
function findCycle(components: readonly PlanInput[], deps: readonly number[][], waiting: readonly number[]): string[] {
  let at = waiting.findIndex((w) => w > 0);
  const path: number[] = [];
  const position = new Map<number, number>();
  while (!position.has(at)) {
    position.set(at, path.length);
    path.push(at);
    at = deps[at]!.find((d) => waiting[d]! > 0)!;
  }
  return [...path.slice(position.get(at)), at].map((i) => components[i]!.name);
}
