import { describe, expect, it } from 'vitest';
import { CoverageGrid, MAX_STEP_METRES, signedArea, unpackPolygons } from './coverage.js';

const ORIGIN = { lon: -93.5, lat: 42.0 };
const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((ORIGIN.lat * Math.PI) / 180);
const toLonLat = (x: number, y: number): [number, number] => [ORIGIN.lon + x / M_PER_DEG_LON, ORIGIN.lat + y / M_PER_DEG_LAT];

/** Drives a polyline (metres east/north of ORIGIN) with points every `step` metres. */
function drive(grid: CoverageGrid, path: [number, number][], width: number, step = 2): void {
  let prev: [number, number] | undefined;
  let joined = false;
  for (let k = 0; k + 1 < path.length; k++) {
    const [ax, ay] = path[k]!;
    const [bx, by] = path[k + 1]!;
    const n = Math.max(1, Math.round(Math.hypot(bx - ax, by - ay) / step));
    for (let i = k === 0 ? 0 : 1; i <= n; i++) {
      const p = toLonLat(ax + ((bx - ax) * i) / n, ay + ((by - ay) * i) / n);
      if (prev !== undefined) {
        grid.addSwath(prev[0], prev[1], p[0], p[1], width, joined);
        joined = true;
      }
      prev = p;
    }
  }
}

/** Area in m² of MultiPolygon coordinates, holes subtracted, in the same local projection. */
function polygonArea(coordinates: number[][][][]): number {
  let total = 0;
  for (const polygon of coordinates) {
    for (const ring of polygon) total += signedArea(ring.map(([lon, lat]) => [(lon! - ORIGIN.lon) * M_PER_DEG_LON, (lat! - ORIGIN.lat) * M_PER_DEG_LAT]));
  }
  return total;
}

describe('the coverage polygon', () => {
  it('gives a straight swath of known width and length its area within 2 %', () => {
    for (const degrees of [0, 17, 45, 90]) {
      const grid = new CoverageGrid();
      const a = (degrees * Math.PI) / 180;
      drive(grid, [[0, 0], [500 * Math.sin(a), 500 * Math.cos(a)]], 12);
      const polygons = grid.polygons()!;
      expect(polygons).toHaveLength(1);
      expect(polygons[0]).toHaveLength(1); // no holes
      expect(Math.abs(grid.areaSquareMetres - 6000) / 6000).toBeLessThan(0.02);
      expect(Math.abs(polygonArea(polygons) - grid.areaSquareMetres) / 6000).toBeLessThan(0.001);
    }
  });

  it('counts a U-turn back over the same ground once', () => {
    const grid = new CoverageGrid();
    drive(grid, [[0, 0], [0, 300], [0.5, 300], [0.5, 0]], 12);
    expect(Math.abs(grid.areaSquareMetres - 12 * 306) / 3600).toBeLessThan(0.02);
  });

  it('adds an adjacent return pass in full', () => {
    const grid = new CoverageGrid();
    drive(grid, [[0, 0], [0, 300], [12, 300], [12, 0]], 12);
    // Two 12 × 300 m passes plus the headland turn joining them.
    expect(grid.areaSquareMetres).toBeGreaterThan(2 * 3600 * 0.98);
    expect(grid.areaSquareMetres).toBeLessThan(2 * 3600 + 12 * 24 * 1.1);
    expect(grid.polygons()).toHaveLength(1);
  });

  it('keeps an uncovered island inside the coverage as a hole', () => {
    const grid = new CoverageGrid();
    // A 100 m square frame driven with a 10 m swath: a 90 × 90 m (less the corners' rounding) hole.
    drive(grid, [[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]], 10);
    const polygons = grid.polygons()!;
    expect(polygons).toHaveLength(1);
    expect(polygons[0]).toHaveLength(2);
    const [outer, hole] = polygons[0]!;
    expect(signedArea(outer!)).toBeGreaterThan(0);
    expect(signedArea(hole!)).toBeLessThan(0);
    const holeArea = -polygonArea([[hole!]]);
    expect(Math.abs(holeArea - 90 * 90) / 8100).toBeLessThan(0.02);
    expect(Math.abs(polygonArea(polygons) - grid.areaSquareMetres) / grid.areaSquareMetres).toBeLessThan(0.001);
  });

  it('does not cover a jump longer than the step limit, leaving two polygons', () => {
    const grid = new CoverageGrid();
    drive(grid, [[0, 0], [0, 100]], 12);
    const [lon0, lat0] = toLonLat(0, 100);
    const [lon1, lat1] = toLonLat(0, 100 + MAX_STEP_METRES + 50);
    grid.addSwath(lon0, lat0, lon1, lat1, 12, true);
    drive(grid, [[0, 100 + MAX_STEP_METRES + 50], [0, 300]], 12);
    expect(grid.polygons()).toHaveLength(2);
    expect(Math.abs(grid.areaSquareMetres - 12 * (100 + 300 - 100 - MAX_STEP_METRES - 50)) / 3000).toBeLessThan(0.03);
  });

  it('closes every ring and drops collinear vertices', () => {
    const grid = new CoverageGrid();
    drive(grid, [[0, 0], [0, 200]], 8);
    const ring = grid.polygons()![0]![0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    // A north-south swath on an east-west grid is a rectangle: four corners and the closing one.
    expect(ring).toHaveLength(5);
  });

  it('traces a serpentine of long passes with gaps between them to one ring enclosing exactly the covered cells', () => {
    const grid = new CoverageGrid();
    // Passes 9 m wide and 12 m apart, 400 m long (hundreds of cells, across many tiles), joined by headland turns.
    const path: [number, number][] = [];
    for (let pass = 0; pass < 9; pass++) {
      const x = pass * 12;
      path.push(...((pass % 2 === 0 ? [[x, 0], [x, 400]] : [[x, 400], [x, 0]]) as [number, number][]));
    }
    drive(grid, path, 9);
    const polygons = grid.polygons()!;
    expect(polygons).toHaveLength(1);
    expect(polygons[0]).toHaveLength(1);
    expect(Math.abs(polygonArea(polygons) - grid.areaSquareMetres) / grid.areaSquareMetres).toBeLessThan(1e-6);
    expect(Math.abs(grid.areaSquareMetres - 9 * 9 * 400) / (9 * 9 * 400)).toBeLessThan(0.03);
  });

  it('covers nothing without a width', () => {
    const grid = new CoverageGrid();
    drive(grid, [[0, 0], [0, 100]], Number.NaN);
    expect(grid.polygons()).toBeNull();
  });

  it('packs its outline into flat arrays that unpack to the same polygons, holes included', () => {
    const grid = new CoverageGrid();
    // A ring around an uncovered island, and a separate pass: two polygons, one with a hole.
    drive(grid, [[0, 0], [0, 60], [60, 60], [60, 0], [0, 0]], 12);
    drive(grid, [[200, 0], [200, 60]], 12);
    const polygons = grid.polygons()!;
    expect(polygons.length).toBe(2);
    expect(polygons.some((p) => p.length === 2)).toBe(true);
    const outline = grid.finish();
    expect(outline.areaSquareMetres).toBe(grid.areaSquareMetres);
    expect(unpackPolygons(outline)).toEqual(polygons);
    expect(unpackPolygons(new CoverageGrid().finish())).toBeNull();
  });
});
