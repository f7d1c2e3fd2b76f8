/**
 * The share of each field's area covered by swaths (Leaf's operation `fields[].coverage`,
 * "percentage of the field boundary covered by the operation", leaf-api.md §7.8), with memory
 * bounded by the area covered, not by the points.
 *
 * Method, the standard coverage's idea (src/formats/standard/coverage.ts; formats/ is not importable
 * from spatial/, so the raster is re-stated here): each point covers the step it drove since the
 * previous position, a rectangle of its equipment width, with the wedge at a turn filled (bevel
 * join); steps over `MAX_STEP_METRES` are jumps. Swaths are rasterised into a sparse grid of square
 * cells a tenth of the first swath width (0.1–2 m), kept as 64 × 64-cell bit tiles only where
 * something was covered, in a local equirectangular projection around the first point, turned to the
 * first pass's direction (parallel passes then run along the grid). Overlapping passes count once.
 * Each covered cell counts for every field its centre lies in (`FieldIndex.locateAll`, boundary
 * included, overlaps not resolved: a cell in two overlapping fields covers both), and coverage is
 * covered cells × cell area / the field's spherical area, capped at 1.
 *
 * Precision: a cell counts when its centre is inside both the swath and the field, so the error is
 * at most half a cell across each swath edge and each field edge crossed by a swath: under
 * (swath edge length + covered field perimeter) × cell / 2, e.g. about 1 % for a 10 m swath
 * covering half of a 200 × 100 m field, far less where errors on either side cancel.
 */
import type { FieldIndex } from './field-index.js';

export interface SwathBatch {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly length: number;
  /** Metres; a point without a positive width covers nothing. */
  readonly equipmentWidth: Float64Array;
  /** 1 where the implement was working (the recording status); all points work when absent. */
  readonly working?: Uint8Array;
}

export interface FieldCoverage {
  readonly fieldIndex: number;
  readonly fieldId: string;
  readonly coveredSquareMetres: number;
  readonly areaSquareMetres: number;
  /** Covered share of the field's area, 0–1. */
  readonly coverage: number;
}

export interface CoverageResult {
  /** Fields with some coverage, in index order. */
  readonly fields: readonly FieldCoverage[];
  /** Cell edge in metres (0 when nothing was covered). */
  readonly cellMetres: number;
}

export const MAX_STEP_METRES = 50;
const CELLS_PER_WIDTH = 10;
const MIN_CELL_METRES = 0.1;
const MAX_CELL_METRES = 2;
const EARTH_RADIUS = 6_371_008.8;
const RAD = Math.PI / 180;
const TILE_SHIFT = 6;
const TILE = 1 << TILE_SHIFT;
const TILE_MASK = TILE - 1;
const TILE_OFFSET = 2 ** 20;

/** Coverage of each field of `index` by the swaths of the batches (one machine's track, in time order). */
export async function fieldCoverage(index: FieldIndex, batches: AsyncIterable<SwathBatch>): Promise<CoverageResult> {
  const raster = new SwathRaster();
  let prevLon = Number.NaN;
  let prevLat = Number.NaN;
  let joined = false;
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i++) {
      const lon = batch.lon[i]!;
      const lat = batch.lat[i]!;
      if (Number.isNaN(lon) || Number.isNaN(lat)) continue;
      const working = batch.working === undefined || batch.working[i] === 1;
      joined = working && !Number.isNaN(prevLon) && raster.addSwath(prevLon, prevLat, lon, lat, batch.equipmentWidth[i]!, joined);
      prevLon = lon;
      prevLat = lat;
    }
  }
  const covered = new Float64Array(index.fields.length);
  const found = new Int32Array(index.fields.length);
  const cellArea = raster.cellMetres * raster.cellMetres;
  raster.forEachCellCentre((lon, lat) => {
    const n = index.locateAll(lon, lat, found);
    for (let k = 0; k < n; k++) covered[found[k]!] = covered[found[k]!]! + cellArea;
  });
  const fields: FieldCoverage[] = [];
  for (let f = 0; f < covered.length; f++) {
    if (covered[f] === 0) continue;
    const area = index.areaSquareMetres[f]!;
    fields.push({
      fieldIndex: f,
      fieldId: index.fields[f]!.fieldId,
      coveredSquareMetres: covered[f]!,
      areaSquareMetres: area,
      coverage: area > 0 ? Math.min(1, covered[f]! / area) : 0,
    });
  }
  return { fields, cellMetres: raster.cellMetres };
}

/** Swaths rasterised into sparse bit tiles of square cells. */
export class SwathRaster {
  private readonly tiles = new Map<number, Uint32Array>();
  private cell = 0;
  private originLon = 0;
  private originLat = 0;
  private kx = 0;
  private readonly ky = EARTH_RADIUS * RAD;
  private cos = 1;
  private sin = 0;
  private prevUx = Number.NaN;
  private prevUy = Number.NaN;
  /** The convex quadrilateral being filled: four corners (x, y) in cell units, in order. */
  private readonly quad = new Float64Array(8);

  get cellMetres(): number {
    return this.cell;
  }

  /** Covers the step from (lon0, lat0) to (lon1, lat1), `width` metres wide; true when it covered something (so the next step joins it). */
  addSwath(lon0: number, lat0: number, lon1: number, lat1: number, width: number, join: boolean): boolean {
    if (!(width > 0)) return false;
    if (this.cell === 0) {
      const kx = EARTH_RADIUS * RAD * Math.cos(lat0 * RAD);
      const ex = (lon1 - lon0) * kx;
      const ey = (lat1 - lat0) * this.ky;
      const length = Math.hypot(ex, ey);
      if (!(length > 0) || length > MAX_STEP_METRES) return false;
      this.cell = Math.min(MAX_CELL_METRES, Math.max(MIN_CELL_METRES, width / CELLS_PER_WIDTH));
      this.originLon = lon0;
      this.originLat = lat0;
      this.kx = kx;
      this.cos = ex / length;
      this.sin = ey / length;
    }
    const [x0, y0] = this.toGrid(lon0, lat0);
    const [x1, y1] = this.toGrid(lon1, lat1);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const length = Math.hypot(dx, dy);
    if (!(length > 0) || length * this.cell > MAX_STEP_METRES) return false;
    const ux = dx / length;
    const uy = dy / length;
    const h = width / 2 / this.cell;
    if (join && !Number.isNaN(this.prevUx)) {
      const straight = Math.abs(this.prevUx * uy - this.prevUy * ux) < 1e-3 && this.prevUx * ux + this.prevUy * uy > 0;
      if (!straight) this.fillJoin(x0, y0, h, ux, uy);
    }
    this.prevUx = ux;
    this.prevUy = uy;
    const q = this.quad;
    q[0] = x0 - uy * h; q[1] = y0 + ux * h;
    q[2] = x1 - uy * h; q[3] = y1 + ux * h;
    q[4] = x1 + uy * h; q[5] = y1 - ux * h;
    q[6] = x0 + uy * h; q[7] = y0 - ux * h;
    this.fillQuad();
    return true;
  }

  /** Calls back with the lon, lat of every covered cell's centre. */
  forEachCellCentre(visit: (lon: number, lat: number) => void): void {
    const c = this.cell;
    for (const [key, tile] of this.tiles) {
      const tx = Math.floor(key / (2 * TILE_OFFSET)) - TILE_OFFSET;
      const ty = (key % (2 * TILE_OFFSET)) - TILE_OFFSET;
      for (let word = 0; word < tile.length; word++) {
        for (let bits = tile[word]!; bits !== 0; bits &= bits - 1) {
          const bit = (word << 5) | (31 - Math.clz32(bits & -bits));
          const gx = (tx << TILE_SHIFT) + (bit & TILE_MASK) + 0.5;
          const gy = (ty << TILE_SHIFT) + (bit >> TILE_SHIFT) + 0.5;
          const east = (gy * this.cos + gx * this.sin) * c;
          const north = (gy * this.sin - gx * this.cos) * c;
          visit(this.originLon + east / this.kx, this.originLat + north / this.ky);
        }
      }
    }
  }

  /** East/north metres turned so the first pass runs along +y, in cells. */
  private toGrid(lon: number, lat: number): [number, number] {
    const e = (lon - this.originLon) * this.kx;
    const n = (lat - this.originLat) * this.ky;
    return [(e * this.sin - n * this.cos) / this.cell, (e * this.cos + n * this.sin) / this.cell];
  }

  /** The wedge a turn opens between two swath rectangles: the quadrilateral of their ends at the joint. */
  private fillJoin(cx: number, cy: number, h: number, ux: number, uy: number): void {
    const corners = [
      [cx - this.prevUy * h, cy + this.prevUx * h],
      [cx + this.prevUy * h, cy - this.prevUx * h],
      [cx - uy * h, cy + ux * h],
      [cx + uy * h, cy - ux * h],
    ].sort((a, b) => Math.atan2(a[1]! - cy, a[0]! - cx) - Math.atan2(b[1]! - cy, b[0]! - cx));
    corners.forEach(([x, y], k) => {
      this.quad[2 * k] = x!;
      this.quad[2 * k + 1] = y!;
    });
    this.fillQuad();
  }

  /** Cells whose centre lies in the convex quadrilateral, half-open so shared edges count once. */
  private fillQuad(): void {
    const q = this.quad;
    const minY = Math.min(q[1]!, q[3]!, q[5]!, q[7]!);
    const maxY = Math.max(q[1]!, q[3]!, q[5]!, q[7]!);
    for (let iy = Math.ceil(minY - 0.5); iy + 0.5 < maxY; iy++) {
      const y = iy + 0.5;
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = 0; k < 8; k += 2) {
        const xa = q[k]!;
        const ya = q[k + 1]!;
        const xb = q[(k + 2) & 7]!;
        const yb = q[(k + 3) & 7]!;
        if ((ya <= y && y <= yb) || (yb <= y && y <= ya)) {
          const x = ya === yb ? Math.min(xa, xb) : xa + ((y - ya) / (yb - ya)) * (xb - xa);
          const x2 = ya === yb ? Math.max(xa, xb) : x;
          if (x < lo) lo = x;
          if (x2 > hi) hi = x2;
        }
      }
      for (let ix = Math.ceil(lo - 0.5); ix + 0.5 < hi; ix++) this.set(ix, iy);
    }
  }

  private set(ix: number, iy: number): void {
    const key = (((ix >> TILE_SHIFT) + TILE_OFFSET) * 2 * TILE_OFFSET) + ((iy >> TILE_SHIFT) + TILE_OFFSET);
    let tile = this.tiles.get(key);
    if (tile === undefined) {
      tile = new Uint32Array((TILE * TILE) / 32);
      this.tiles.set(key, tile);
    }
    const bit = ((iy & TILE_MASK) << TILE_SHIFT) | (ix & TILE_MASK);
    tile[bit >>> 5] = tile[bit >>> 5]! | (1 << (bit & 31));
  }
}
