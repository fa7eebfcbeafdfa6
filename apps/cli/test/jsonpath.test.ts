import { describe, expect, it } from "vitest";
import { jsonpath } from "../src/jsonpath.ts";

const page = { items: [{ id: "web-1", phase: "active", labels: { "topology.kubernetes.io/zone": "a" } }, { id: "web-2", phase: "draining", labels: {} }], revision: 7 };

describe("-o jsonpath", () => {
  it("selects fields as kubectl does, several results space-separated", () => {
    expect(jsonpath("{.items[*].id}", page)).toBe("web-1 web-2");
    expect(jsonpath("{.items[1].phase}", page)).toBe("draining");
    expect(jsonpath("{.revision}", page)).toBe("7");
    expect(jsonpath("{.items[0].labels['topology.kubernetes.io/zone']}", page)).toBe("a");
    expect(jsonpath("{.items[0].labels}", page)).toBe('{"topology.kubernetes.io/zone":"a"}');
    expect(jsonpath("{.missing}", page)).toBe("");
  });

  it("loops with range and prints quoted text", () => {
    expect(jsonpath('{range .items[*]}{.id}{"\\t"}{.phase}{"\\n"}{end}', page)).toBe("web-1\tactive\nweb-2\tdraining\n");
    expect(jsonpath("peers: {.items[*].id}", page)).toBe("peers: web-1 web-2");
  });

  it("refuses a template it cannot read, as a usage error with an example", () => {
    expect(() => jsonpath("{.items[", page)).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => jsonpath("{range .items[*]}{.id}", page)).toThrow(/without \{end\}/);
    expect(() => jsonpath("{.a", page)).toThrow(/no closing/);
  });
});
