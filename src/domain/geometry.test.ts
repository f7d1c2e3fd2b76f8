import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { areaHectares, automaticFixBoundary, toMultiPolygon, validateBoundary, type Position } from './geometry.js';

const square = (x: number, y: number, d: number): Position[] => [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]];
const polygon = (...rings: Position[][]) => ({ type: 'Polygon' as const, coordinates: rings });

describe('boundary validity with JTS names', () => {
  it('accepts a square with a hole', () => {
    expect(validateBoundary(polygon(square(0, 0, 1), square(0.2, 0.2, 0.2).reverse()))).toEqual({ valid: true, validity: 'VALID' });
  });

  it('names a bow-tie Self-intersection at the crossing, in Leaf\'s wording', () => {
    const report = validateBoundary(polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]));
    expect(report).toMatchObject({ valid: false, validity: 'SELF_INTERSECTION', location: [1, 1] });
    expect(!report.valid && report.message).toBe('Invalid geometry: Self-intersection  at POINT (1 1)');
  });

  it('names a ring touching itself at a vertex Ring Self-intersection', () => {
    const ring = [[0, 0], [4, 0], [4, 4], [2, 0], [0, 4], [0, 0]];
    expect(validateBoundary(polygon(ring)).validity).toBe('RING_SELF_INTERSECTION');
  });

  it('names the other JTS errors', () => {
    expect(validateBoundary(polygon([[0, 0], [1, 0], [0, 0]])).validity).toBe('TOO_FEW_POINTS');
    expect(validateBoundary(polygon([[0, 0], [1, 0], [1, 1], [0, 1]])).validity).toBe('RING_NOT_CLOSED');
    expect(validateBoundary(polygon(square(0, 0, 1), square(5, 5, 1))).validity).toBe('HOLE_OUTSIDE_SHELL');
    expect(validateBoundary({ type: 'MultiPolygon', coordinates: [[square(0, 0, 10)], [square(2, 2, 1)]] }).validity).toBe('NESTED_SHELLS');
    expect(validateBoundary({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1)], [square(0, 0, 1)]] }).validity).toBe('SELF_INTERSECTION');
    expect(validateBoundary(polygon(square(0, 0, 10), square(1, 1, 5), square(2, 2, 1))).validity).toBe('NESTED_HOLES');
    expect(validateBoundary(polygon([[0, 0], [200, 0], [1, 1], [0, 0]])).validity).toBe('INVALID_COORDINATE');
    expect(validateBoundary({ type: 'Point', coordinates: [0, 0] }).validity).toBe('NOT_ALLOWED_GEOMETRY_TYPE');
  });

  it('reports Duplicate Rings for a hole repeated', () => {
    const hole = square(2, 2, 1).reverse();
    expect(validateBoundary(polygon(square(0, 0, 10), hole, hole)).validity).toMatch(/DUPLICATE_RINGS|SELF_INTERSECTION/);
  });
});

describe('area in hectares', () => {
  it('matches the planar area in an equal-area projection of the WGS 84 ellipsoid (EPSG:6933 through proj4)', () => {
    const toCea = proj4('EPSG:4326', '+proj=cea +lat_ts=30 +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs'); // EPSG:6933, EASE-Grid 2.0
    for (const [x, y, d] of [[0, 0, 0.01], [-93.3, 41.5, 0.02], [10, 65, 0.005]] as const) {
      // Edges along meridians and parallels stay straight in a cylindrical projection.
      const ring = square(x, y, d);
      const projected = ring.map((p) => toCea.forward({ x: p[0]!, y: p[1]! })).map((p) => [p.x, p.y]);
      let twice = 0;
      for (let i = 0; i + 1 < projected.length; i++) twice += projected[i]![0]! * projected[i + 1]![1]! - projected[i + 1]![0]! * projected[i]![1]!;
      const expected = Math.abs(twice) / 2 / 10_000;
      expect(areaHectares(polygon(ring)) / expected).toBeCloseTo(1, 5);
    }
  });

  it('shrinks with latitude as cos(latitude) and subtracts holes', () => {
    const equator = areaHectares(polygon(square(0, 0, 0.01)));
    const sixty = areaHectares(polygon(square(0, 60, 0.01)));
    expect(sixty / equator).toBeGreaterThan(0.49);
    expect(sixty / equator).toBeLessThan(0.51);
    expect(areaHectares(polygon(square(0, 0, 0.02), square(0.005, 0.005, 0.01).reverse()))).toBeCloseTo(equator * 3, 0);
  });
});

describe('automaticFixBoundary', () => {
  it('closes rings, drops repeated points and orients shells counter-clockwise', () => {
    const fix = automaticFixBoundary(polygon([[0, 0], [0, 1], [0, 1], [1, 1], [1, 0]]));
    expect(fix.before.validity).toBe('RING_NOT_CLOSED');
    expect(fix.fixed).toBe(true);
    const ring = fix.geometry.coordinates[0]![0]!;
    let twiceArea = 0;
    for (let i = 0; i + 1 < ring.length; i++) twiceArea += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
    expect(twiceArea).toBeGreaterThan(0);
    expect(ring).toHaveLength(5);
  });

  it('leaves a self-intersection unfixed without a resolver, and splits it with one', () => {
    const bowTie = polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]);
    expect(automaticFixBoundary(bowTie).fixed).toBe(false);
    const split = automaticFixBoundary(bowTie, () => [[[[0, 0], [1, 1], [0, 2], [0, 0]]], [[[1, 1], [2, 0], [2, 2], [1, 1]]]]);
    expect(split.fixed).toBe(true);
    expect(split.geometry.coordinates).toHaveLength(2);
  });

  it('does not guess at a hole outside its shell', () => {
    expect(automaticFixBoundary(polygon(square(0, 0, 1), square(5, 5, 1))).fixed).toBe(false);
  });

  it('turns a Polygon into a MultiPolygon', () => {
    expect(toMultiPolygon(polygon(square(0, 0, 1)))).toEqual({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1)]] });
  });
});
