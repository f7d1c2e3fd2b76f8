import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { describe, expect, it } from 'vitest';
import { FieldIndex, sphericalRingArea, type FieldShape } from './field-index.js';
import { field, rectangle, seededRandom, wobblyRing } from './testing/shapes.js';

/** The rule, brute force: every field whose polygon contains the point (turf, boundary included), smallest area, then lower id. */
function reference(index: FieldIndex, lon: number, lat: number): number {
  let best = -1;
  index.fields.forEach((f, k) => {
    if (!booleanPointInPolygon([lon, lat], f.geometry)) return;
    if (best < 0) {
      best = k;
      return;
    }
    const byArea = index.areaSquareMetres[k]! - index.areaSquareMetres[best]!;
    const bestId = index.fields[best]!.fieldId;
    if (byArea < 0 || (byArea === 0 && f.fieldId < bestId)) best = k;
  });
  return best;
}

describe('FieldIndex.locate', () => {
  const square = new FieldIndex([field('a', [rectangle(10, 50, 10.01, 50.01)])]);

  it('finds a point inside a field and none outside it', () => {
    expect(square.locate(10.005, 50.005)).toBe(0);
    expect(square.locate(10.02, 50.005)).toBe(-1);
    expect(square.locate(9.999, 50.005)).toBe(-1);
  });

  it('counts a point on an edge or a vertex as inside', () => {
    expect(square.locate(10.005, 50)).toBe(0);
    expect(square.locate(10.01, 50.005)).toBe(0);
    expect(square.locate(10, 50)).toBe(0);
    expect(square.locate(10.01, 50.01)).toBe(0);
  });

  it('gives a point on an edge two fields share to the smaller field, all along the edge', () => {
    const index = new FieldIndex([field('big', [rectangle(0, 0, 2, 1)]), field('small', [rectangle(2, 0, 3, 1)])]);
    for (const y of [0, 0.25, 0.5, 1]) expect(index.locate(2, y)).toBe(1);
    expect(index.locate(1.999, 0.5)).toBe(0);
  });

  it('gives a point on an edge shared by fields of equal area to the lower fieldId, whatever their order', () => {
    const index = new FieldIndex([field('field-b', [rectangle(0, 0, 1, 1)]), field('field-a', [rectangle(1, 0, 2, 1)])]);
    expect(index.locate(1, 0.5)).toBe(1);
    const reversed = new FieldIndex([field('field-a', [rectangle(1, 0, 2, 1)]), field('field-b', [rectangle(0, 0, 1, 1)])]);
    expect(reversed.locate(1, 0.5)).toBe(0);
  });

  it('gives a vertex four fields share to the one the rule picks', () => {
    const index = new FieldIndex([
      field('d', [rectangle(0, 0, 1, 1)]),
      field('c', [rectangle(1, 0, 2, 1)]),
      field('b', [rectangle(0, 1, 1, 2)]),
      field('a', [rectangle(1, 1, 2.5, 2)]),
    ]);
    // 'a' is larger; of the three equal ones 'b' has the lowest id.
    expect(index.locate(1, 1)).toBe(2);
  });

  it('puts every point near a shared diagonal edge in exactly one of the two fields, never in a gap', () => {
    const left = [[0, 0], [1.37, 0.11], [0.73, 2.9], [0, 3], [0, 0]];
    const right = [[1.37, 0.11], [3, 0], [3, 3], [0.73, 2.9], [1.37, 0.11]];
    const index = new FieldIndex([field('left', [left]), field('right', [right])]);
    const both = new Int32Array(4);
    for (let k = 0; k <= 1000; k++) {
      const t = k / 1000;
      const x = 1.37 + (0.73 - 1.37) * t;
      const y = 0.11 + (2.9 - 0.11) * t;
      for (const dx of [0, 1e-15, -1e-15, 1e-12, -1e-12]) {
        expect(index.locate(x + dx, y)).not.toBe(-1);
        const found = index.locateAll(x + dx, y, both);
        expect(found === 1 || found === 2).toBe(true);
      }
    }
  });

  it('gives a point in two overlapping fields to the smaller one, and the rest of the big one to the big one', () => {
    const index = new FieldIndex([field('big', [rectangle(0, 0, 10, 10)]), field('small', [rectangle(2, 2, 4, 4)]), field('partly', [rectangle(8, 8, 12, 12)])]);
    expect(index.locate(3, 3)).toBe(1);
    expect(index.locate(2, 3)).toBe(1);
    expect(index.locate(5, 5)).toBe(0);
    expect(index.locate(9, 9)).toBe(2);
    expect(index.locate(11, 11)).toBe(2);
    const all = new Int32Array(3);
    const found = index.locateAll(3, 3, all);
    expect([...all.subarray(0, found)].sort()).toEqual([0, 1]);
  });

  it('leaves a point inside a hole out of the field but keeps a point on the hole edge in it', () => {
    const index = new FieldIndex([field('holed', [rectangle(0, 0, 10, 10), rectangle(4, 4, 6, 6).reverse()])]);
    expect(index.locate(5, 5)).toBe(-1);
    expect(index.locate(4, 5)).toBe(0);
    expect(index.locate(6, 6)).toBe(0);
    expect(index.locate(3, 5)).toBe(0);
  });

  it('gives a point in a hole to a field drawn inside that hole', () => {
    const index = new FieldIndex([field('holed', [rectangle(0, 0, 10, 10), rectangle(4, 4, 6, 6)]), field('island', [rectangle(4.5, 4.5, 5.5, 5.5)])]);
    expect(index.locate(5, 5)).toBe(1);
    expect(index.locate(4.2, 4.2)).toBe(-1);
  });

  it('finds a point in any part of a multipolygon field and none in the gap between its parts', () => {
    const index = new FieldIndex([field('two-parts', [rectangle(0, 0, 1, 1)], [rectangle(3, 0, 4, 1)]), field('other', [rectangle(1.5, 0, 2.5, 1)])]);
    expect(index.locate(0.5, 0.5)).toBe(0);
    expect(index.locate(3.5, 0.5)).toBe(0);
    expect(index.locate(2, 0.5)).toBe(1);
    expect(index.locate(2.75, 0.5)).toBe(-1);
  });

  it('does not support the antimeridian: a ring from 179° to -179° covers the long way round, as stated', () => {
    const index = new FieldIndex([field('across', [[[179, 0], [-179, 0], [-179, 1], [179, 1], [179, 0]]])]);
    expect(index.locate(179.5, 0.5)).toBe(-1);
    expect(index.locate(0, 0.5)).toBe(0);
  });

  it('finds no field for NaN coordinates, an empty index or a degenerate ring', () => {
    expect(square.locate(Number.NaN, 50.005)).toBe(-1);
    expect(square.locate(10.005, Number.NaN)).toBe(-1);
    expect(new FieldIndex([]).locate(0, 0)).toBe(-1);
    const degenerate = new FieldIndex([field('line', [[[0, 0], [1, 1], [0, 0]]]), field('real', [rectangle(5, 5, 6, 6)])]);
    expect(degenerate.locate(0.5, 0.5)).toBe(-1);
    expect(degenerate.locate(5.5, 5.5)).toBe(1);
  });

  it('tests a field of thousands of vertices with holes exactly like the brute-force reference', () => {
    const fields: FieldShape[] = [
      field('wobbly', [wobblyRing(0, 0, 1, 5000), wobblyRing(0.3, 0.1, 0.2, 800, true), wobblyRing(-0.4, -0.2, 0.15, 300, true)]),
      field('neighbour', [wobblyRing(1.6, 0.2, 0.6, 2000)]),
    ];
    const index = new FieldIndex(fields);
    const next = seededRandom(3);
    for (let k = 0; k < 3000; k++) {
      const lon = -1.5 + next() * 4;
      const lat = -1.5 + next() * 3;
      expect(index.locate(lon, lat), `(${lon}, ${lat})`).toBe(reference(index, lon, lat));
    }
  });
});

describe('FieldIndex.locateMany', () => {
  it('fills each slot with what locate answers, for the first `length` points only', () => {
    const index = new FieldIndex([field('a', [rectangle(0, 0, 1, 1)]), field('b', [rectangle(1, 0, 2, 1)])]);
    const lon = Float64Array.from([0.5, 1.5, 3, 1, Number.NaN, 0.5]);
    const lat = Float64Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const out = new Int32Array(6).fill(99);
    index.locateMany(lon, lat, 5, out);
    expect([...out]).toEqual([0, 1, -1, 0, -1, 99]);
  });

  it('refuses a length beyond its arrays', () => {
    const index = new FieldIndex([field('a', [rectangle(0, 0, 1, 1)])]);
    expect(() => index.locateMany(new Float64Array(2), new Float64Array(2), 3, new Int32Array(3))).toThrow(RangeError);
  });

  it('answers like locate across many fields, through the grid and through crowded cells', () => {
    // 400 small fields in one corner and one far away: the grid's corner cells are crowded.
    const fields: FieldShape[] = [];
    for (let k = 0; k < 400; k++) fields.push(field(`f${k}`, [rectangle((k % 20) * 0.011, Math.floor(k / 20) * 0.011, (k % 20) * 0.011 + 0.01, Math.floor(k / 20) * 0.011 + 0.01)]));
    fields.push(field('far', [rectangle(50, 50, 51, 51)]));
    const index = new FieldIndex(fields);
    const next = seededRandom(5);
    const n = 5000;
    const lon = new Float64Array(n);
    const lat = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const far = next() < 0.1;
      lon[i] = far ? 49.5 + next() * 2 : next() * 0.23;
      lat[i] = far ? 49.5 + next() * 2 : next() * 0.23;
    }
    const out = new Int32Array(n);
    index.locateMany(lon, lat, n, out);
    for (let i = 0; i < n; i++) expect(out[i], `(${lon[i]}, ${lat[i]})`).toBe(reference(index, lon[i]!, lat[i]!));
  });
});

describe('FieldIndex.areaSquareMetres', () => {
  it('gives a one-degree square at the equator its spherical area, holes subtracted', () => {
    const expected = 6_371_008.8 ** 2 * (Math.PI / 180) * Math.sin(Math.PI / 180);
    const index = new FieldIndex([field('degree', [rectangle(0, 0, 1, 1), rectangle(0.25, 0.25, 0.75, 0.75)])]);
    const hole = Math.abs(sphericalRingArea(rectangle(0.25, 0.25, 0.75, 0.75)));
    expect(index.areaSquareMetres[0]! / (expected - hole)).toBeCloseTo(1, 9);
    expect(hole / (expected / 4)).toBeCloseTo(1, 2);
  });
});
