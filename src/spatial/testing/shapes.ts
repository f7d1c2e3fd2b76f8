/** Field shapes for the spatial tests, built in code (no corpus files are copied into the repo). */
import type { FieldShape } from '../field-index.js';

/** A closed counter-clockwise rectangle ring. */
export function rectangle(minX: number, minY: number, maxX: number, maxY: number): number[][] {
  return [[minX, minY], [maxX, minY], [maxX, maxY], [minX, maxY], [minX, minY]];
}

/** A field of one or more polygons (each: exterior ring first, then holes). */
export function field(fieldId: string, ...polygons: number[][][][]): FieldShape {
  return { fieldId, geometry: { type: 'MultiPolygon', coordinates: polygons } };
}

/** A closed ring of `vertices` points around (cx, cy), its radius wobbling so the outline is irregular. */
export function wobblyRing(cx: number, cy: number, radius: number, vertices: number, clockwise = false): number[][] {
  const ring: number[][] = [];
  for (let k = 0; k < vertices; k++) {
    const angle = ((clockwise ? -1 : 1) * 2 * Math.PI * k) / vertices;
    const r = radius * (1 + 0.25 * Math.sin(7 * angle) + 0.1 * Math.cos(23 * angle));
    ring.push([cx + r * Math.cos(angle), cy + r * Math.sin(angle)]);
  }
  ring.push([...ring[0]!]);
  return ring;
}

/** Mulberry32: a seeded generator, so a failing property test can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
