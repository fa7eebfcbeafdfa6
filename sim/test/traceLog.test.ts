import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fcParams } from "@drainkit/core/testing";
import { TraceLog } from "../src/simulation/TraceLog.ts";

// Field values as the simulator's records carry them: strings, integers, fractions, booleans, nested objects.
const fieldsArb = fc.dictionary(
  // Names as the simulator's fields are: none is i, t or type, none is an array index (JavaScript puts those first).
  fc.string({ maxLength: 6 }).filter((k) => k !== "i" && k !== "t" && k !== "type" && k !== "__proto__" && !/^(0|[1-9]\d*)$/.test(k)),
  fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(undefined), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer())),
  { maxKeys: 5 },
);
const recordArb = fc.record({ i: fc.nat(), t: fc.double({ min: 0, max: 1e9, noNaN: true }).map((t) => Math.round(t * 1000) / 1000), type: fc.string(), fields: fieldsArb });

describe("TraceLog: a record added in parts is the record added whole", () => {
  it("gives the same digest and the same tail (property)", () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 80 }), fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }), (list, whole) => {
        const a = new TraceLog(16);
        const b = new TraceLog(16);
        list.forEach((r, k) => {
          a.add({ i: r.i, t: r.t, type: r.type, ...r.fields });
          // Mixed, as full-stack mode adds whole records: both kinds share one log.
          if (whole[k]) b.add({ i: r.i, t: r.t, type: r.type, ...r.fields });
          else b.addFields(r.i, r.t, r.type, r.fields);
        });
        expect(b.tail()).toEqual(a.tail());
        expect(b.digest("end")).toBe(a.digest("end"));
      }),
      fcParams({ numRuns: 200 }),
    );
  });
});
