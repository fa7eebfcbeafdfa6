// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { leastInFlight } from "../../src/index.ts";
import { fakeView as view } from "./fakeView.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);

describe("leastInFlight", () => {
  it("least in flight never picks a more loaded member than the least loaded", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 30 }), (loads) => {
        const nodes = ids(loads.length);
        const v = view(Object.fromEntries(nodes.map((id) => [id, "active" as const])), Object.fromEntries(nodes.map((id, i) => [id, loads[i]!])));
        const lif = leastInFlight();
        const min = Math.min(...loads);
        for (let i = 0; i < 3; i++) expect(v.inFlight(lif.pick(v, undefined)!.id)).toBe(min);
      }), fcParams(),
    );
  });
});
