// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { GateClosedError } from "@drainkit/core";
import { WorkloadError, WorkloadSet, type WorkloadChangeCause } from "../src/index.ts";

const noop = { start: async () => {}, stop: async () => {} };

describe("WorkloadSet", () => {
  it("counts owners and children, and as a drain participant its in-flight work is what it still holds", () => {
    const set = new WorkloadSet(noop, [{ id: "s1" }, { id: "s1.r", owner: "s1" }, { id: "s2" }]);
    expect(set.counts()).toEqual({ owners: 2, children: 1 });
    expect(set.inFlight()).toBe(3);
    let idle = 0;
    set.onIdle(() => idle++);
    set.delete("s1", "move");
    set.delete("s1.r", "move");
    expect(idle).toBe(0);
    set.delete("s2", "move");
    expect(idle).toBe(1);
    expect(set.inFlight()).toBe(0);
  });

  it("tells why it changed: the host's own placements report at once, a move's ride on the heartbeat", () => {
    const set = new WorkloadSet(noop);
    const causes: WorkloadChangeCause[] = [];
    set.onChange((c) => causes.push(c));
    set.add({ id: "a" });
    set.accept({ id: "b" });
    set.delete("b", "move");
    set.delete("a");
    expect(causes).toEqual(["host", "move", "move", "host"]);
    // Deleting what it does not hold changes nothing.
    expect(set.delete("zzz")).toBe(false);
    expect(causes).toHaveLength(4);
  });

  it("takes no moved-in workload while draining, and takes them again once resumed", () => {
    const set = new WorkloadSet(noop, [{ id: "a" }]);
    set.drain();
    expect(() => set.accept({ id: "b" })).toThrow(GateClosedError);
    expect(set.has("b")).toBe(false);
    set.resume();
    set.accept({ id: "b" });
    expect(set.has("b")).toBe(true);
    expect(() => set.add({ id: "b" })).toThrow(WorkloadError);
  });

  it("property: after any sequence of adds, accepts and deletes, list, counts and in-flight agree", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("add", "accept", "delete"), fc.integer({ min: 0, max: 9 }), fc.boolean()), { maxLength: 60 }), (ops) => {
        const set = new WorkloadSet(noop);
        const model = new Map<string, string | undefined>();
        for (const [op, n, child] of ops) {
          const id = `w${n}`;
          const w = child && n > 0 ? { id, owner: `w${n - 1}` } : { id };
          if (op === "delete") {
            expect(set.delete(id)).toBe(model.delete(id));
          } else if (op === "add") {
            if (model.has(id)) expect(() => set.add(w)).toThrow(WorkloadError);
            else {
              set.add(w);
              model.set(id, w.owner);
            }
          } else {
            set.accept(w);
            if (!model.has(id)) model.set(id, w.owner);
          }
        }
        expect(set.list().map((w) => w.id).sort()).toEqual([...model.keys()].sort());
        const owners = [...model.values()].filter((o) => o === undefined).length;
        expect(set.counts()).toEqual({ owners, children: model.size - owners });
        expect(set.inFlight()).toBe(model.size);
      }), fcParams(),
    );
  });
});
