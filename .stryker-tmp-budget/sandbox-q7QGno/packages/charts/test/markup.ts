// @ts-nocheck
// Test helpers: a tiny well-formedness check for the SVG the charts emit, without a DOM.

const TAG = /<\/?(svg|rect|text|line|polyline|circle|title)((?:\s+[a-zA-Z0-9-]+="[^"<>]*")*)\s*\/?>/g;

/** Text left once every allowed tag (with quoted attributes) is removed. */
export function textOutsideTags(svg: string): string {
  return svg.replace(TAG, "");
}

/** Every numeric attribute value (coordinates, sizes, points). */
export function numericAttributes(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height|points|aria-valuenow|aria-valuemax)="([^"]*)"/g)) out.push(...m[2]!.split(/[ ,]+/).filter(Boolean));
  return out;
}
