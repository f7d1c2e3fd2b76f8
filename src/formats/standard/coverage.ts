/**
 * The coverage polygon of a summary (research/leaf-api.md 7.4: "a buffer-derived coverage
 * MultiPolygon"), with memory bounded by the area covered, not by the number of points.
 *
 * The rule: each kept point covers the swath it drove since the previous logged position, a
 * rectangle of its equipment width along that step (so coverage and `area` = width × distance agree),
 * with the wedge between the two rectangles filled at the joint where the previous step was also
 * covered (a bevel join), so turns leave no gaps and straight passes get nothing extra. Steps longer than `MAX_STEP_METRES` are jumps (a GPS gap, a transit),
 * not swaths. The swaths are rasterised into a sparse grid of square cells (a cell is covered when its
 * centre is), stored as 64×64-cell bit tiles created only where something was covered, in a local
 * equirectangular projection around the first point (metres; fine at field scale). Cells are a
 * tenth of the first swath width and the grid is turned to the first pass's direction: fields are
 * worked in parallel passes and headlands across them, so most swaths run along a grid axis and
 * their area is exact; a pass at another angle is off by at most about one cell width across its
 * length (≤ 10 % of its width when it resonates with the grid at 45°, usually far less). The grid's
 * boundary is then traced into rings (exterior counter-clockwise, holes clockwise, RFC 7946 §3.1.6)
 * and collinear vertices dropped. Overlapping passes (a U-turn, a second pass) count once; an
 * uncovered island inside the coverage stays a hole.
 */

/** Longer steps are jumps between passes, not swaths. */
export const MAX_STEP_METRES = 50;
/** Cells are this fraction of the first swath width seen, within the bounds below. */
const CELLS_PER_WIDTH = 10;
const MIN_CELL_METRES = 0.1;
const MAX_CELL_METRES = 2;

const EARTH_RADIUS = 6_371_008.8;
const RAD = Math.PI / 180;
const TILE_SHIFT = 6;
const TILE = 1 << TILE_SHIFT;
const TILE_MASK = TILE - 1;
const TILE_OFFSET = 2 ** 20;

/** Outgoing edge directions at a grid vertex, as bits. */
const RIGHT = 1;
const UP = 2;
const LEFT = 4;
const DOWN = 8;
const TURN_LEFT: Record<number, number> = { [RIGHT]: UP, [UP]: LEFT, [LEFT]: DOWN, [DOWN]: RIGHT };
const TURN_RIGHT: Record<number, number> = { [RIGHT]: DOWN, [DOWN]: LEFT, [LEFT]: UP, [UP]: RIGHT };

/** Slots of `CoverageGrid.state`: the swath being added, the quadrilateral being filled, the previous direction. */
const LON0 = 0;
const LAT0 = 1;
const LON1 = 2;
const LAT1 = 3;
const WIDTH = 4;
const PREV_UX = 5;
const PREV_UY = 6;
/** Four corners (x, y), in order around the quadrilateral. */
const QUAD = 7;

/**
 * The traced coverage, packed: a million points' outline is about a hundred thousand vertices,
 * which as nested arrays cost a structured clone (and its garbage) on every thread they cross.
 * `unpackPolygons` gives the GeoJSON MultiPolygon coordinates back.
 */
export interface CoverageOutline {
  readonly areaSquareMetres: number;
  /** Polygon count, then each polygon's ring count, then each ring's vertex count; empty when nothing is covered. */
  readonly structure: Uint32Array;
  /** lon, lat of every vertex, ring after ring. */
  readonly coordinates: Float64Array;
}

export function packPolygons(polygons: number[][][][] | null, areaSquareMetres: number): CoverageOutline {
  if (polygons === null) return { areaSquareMetres, structure: new Uint32Array(0), coordinates: new Float64Array(0) };
  const rings = polygons.flat();
  const structure = Uint32Array.from([polygons.length, ...polygons.map((p) => p.length), ...rings.map((r) => r.length)]);
  const coordinates = new Float64Array(2 * rings.reduce((sum, r) => sum + r.length, 0));
  let k = 0;
  for (const ring of rings) {
    for (const [lon, lat] of ring) {
      coordinates[k++] = lon!;
      coordinates[k++] = lat!;
    }
  }
  return { areaSquareMetres, structure, coordinates };
}

/** GeoJSON MultiPolygon coordinates, or null when nothing is covered. */
export function unpackPolygons(outline: CoverageOutline): number[][][][] | null {
  const { structure, coordinates } = outline;
  if (structure.length === 0) return null;
  const polygonCount = structure[0]!;
  let ringAt = 1 + polygonCount;
  let k = 0;
  const polygons: number[][][][] = [];
  for (let p = 0; p < polygonCount; p++) {
    const polygon: number[][][] = [];
    for (let r = 0; r < structure[1 + p]!; r++) {
      const ring: number[][] = new Array(structure[ringAt++]!);
      for (let v = 0; v < ring.length; v++, k += 2) ring[v] = [coordinates[k]!, coordinates[k + 1]!];
      polygon.push(ring);
    }
    polygons.push(polygon);
  }
  return polygons;
}

/** Accumulates swaths; `polygons()` traces the result. */
export class CoverageGrid {
  private readonly tiles = new Map<number, Uint32Array>();
  private cell = 0;
  private cells = 0;
  private originLon = Number.NaN;
  private originLat = Number.NaN;
  private kx = 0;
  private readonly ky = EARTH_RADIUS * RAD;
  private cos = 1;
  private sin = 0;
  /**
   * Doubles of the swath in progress, in a typed array rather than arguments and fields: passing
   * doubles between functions V8 does not inline boxes each one, and a million swaths made a
   * gigabyte of garbage that way.
   */
  private readonly state = new Float64Array(QUAD + 8).fill(Number.NaN);
  private previousCovered = false;
  private lastKey = Number.NaN;
  private lastTile: Uint32Array | undefined;

  /** Cell edge in metres (0 until the first swath). */
  get cellMetres(): number {
    return this.cell;
  }

  /** Covered area in m² (cells × cell area). */
  get areaSquareMetres(): number {
    return this.cells * this.cell * this.cell;
  }

  /**
   * Covers the swath of `width` metres from (lon0, lat0) to (lon1, lat1); with `join`, also the
   * wedge at the start, where the previous swath ended.
   */
  addSwath(lon0: number, lat0: number, lon1: number, lat1: number, width: number, join: boolean): void {
    const s = this.state;
    s[LON0] = lon0;
    s[LAT0] = lat0;
    s[LON1] = lon1;
    s[LAT1] = lat1;
    s[WIDTH] = width;
    this.swath(join);
  }

  /**
   * The swaths of one batch: point i, where `covered[i]` is 1, covers its step from
   * (prevLon[i], prevLat[i]); consecutive covered points, across batches too, are joined.
   */
  addSwaths(prevLon: Float64Array, prevLat: Float64Array, lon: Float64Array, lat: Float64Array, width: Float64Array, covered: Uint8Array, n: number): void {
    const s = this.state;
    let join = this.previousCovered;
    for (let i = 0; i < n; i++) {
      if (covered[i] !== 1) {
        join = false;
        continue;
      }
      s[LON0] = prevLon[i]!;
      s[LAT0] = prevLat[i]!;
      s[LON1] = lon[i]!;
      s[LAT1] = lat[i]!;
      s[WIDTH] = width[i]!;
      this.swath(join);
      join = true;
    }
    this.previousCovered = join;
  }

  private swath(join: boolean): void {
    const s = this.state;
    const width = s[WIDTH]!;
    if (!(width > 0)) return;
    const lon0 = s[LON0]!;
    const lat0 = s[LAT0]!;
    const lon1 = s[LON1]!;
    const lat1 = s[LAT1]!;
    if (this.cell === 0) {
      const kx = EARTH_RADIUS * RAD * Math.cos(lat0 * RAD);
      const ex = (lon1 - lon0) * kx;
      const ey = (lat1 - lat0) * this.ky;
      const length = Math.hypot(ex, ey);
      if (!(length > 0)) return;
      this.cell = Math.min(MAX_CELL_METRES, Math.max(MIN_CELL_METRES, width / CELLS_PER_WIDTH));
      this.originLon = lon0;
      this.originLat = lat0;
      this.kx = kx;
      this.cos = ex / length;
      this.sin = ey / length;
    }
    const c = this.cell;
    // Grid coordinates, in cells: east/north metres rotated so the first pass runs along +y, so a
    // swath's cells are a few long rows across it rather than many short ones along it.
    const e0 = (lon0 - this.originLon) * this.kx;
    const n0 = (lat0 - this.originLat) * this.ky;
    const e1 = (lon1 - this.originLon) * this.kx;
    const n1 = (lat1 - this.originLat) * this.ky;
    const x0 = (e0 * this.sin - n0 * this.cos) / c;
    const y0 = (e0 * this.cos + n0 * this.sin) / c;
    const x1 = (e1 * this.sin - n1 * this.cos) / c;
    const y1 = (e1 * this.cos + n1 * this.sin) / c;
    const h = width / 2 / c;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const length = Math.sqrt(dx * dx + dy * dy);
    if (!(length * c <= MAX_STEP_METRES)) return;
    if (length === 0) return;
    const ux = dx / length;
    const uy = dy / length;
    const nx = -uy * h;
    const ny = ux * h;
    if (join && !Number.isNaN(s[PREV_UX]!)) {
      // Driving straight on opens no wedge: the common case, decided here without a call.
      const prevUx = s[PREV_UX]!;
      const prevUy = s[PREV_UY]!;
      if (!(Math.abs(prevUx * uy - prevUy * ux) < 1e-3 && prevUx * ux + prevUy * uy > 0)) this.fillJoin(x0, y0, h, ux, uy);
    }
    s[PREV_UX] = ux;
    s[PREV_UY] = uy;
    s[QUAD] = x0 + nx;
    s[QUAD + 1] = y0 + ny;
    s[QUAD + 2] = x0 + dx + nx;
    s[QUAD + 3] = y0 + dy + ny;
    s[QUAD + 4] = x0 + dx - nx;
    s[QUAD + 5] = y0 + dy - ny;
    s[QUAD + 6] = x0 - nx;
    s[QUAD + 7] = y0 - ny;
    this.fillQuad();
  }

  /**
   * The outline and area, once every swath is in: packed straight from the traced rings, without
   * an array per vertex (a yield layer's outline has tens of thousands, and this is the serial
   * tail of a conversion).
   */
  finish(): CoverageOutline {
    const polygons = this.gridPolygons();
    if (polygons === null) return packPolygons(null, this.areaSquareMetres);
    const rings = polygons.flat();
    const structure = Uint32Array.from([polygons.length, ...polygons.map((p) => p.length), ...rings.map((r) => r.length / 2)]);
    const coordinates = new Float64Array(rings.reduce((sum, r) => sum + r.length, 0));
    let k = 0;
    for (const ring of rings) k = this.toLonLat(ring, coordinates, k);
    return { areaSquareMetres: this.areaSquareMetres, structure, coordinates };
  }

  /** The covered cells' outline as GeoJSON MultiPolygon coordinates (lon, lat), or null when nothing is covered. */
  polygons(): number[][][][] | null {
    const polygons = this.gridPolygons();
    if (polygons === null) return null;
    return polygons.map((polygon) =>
      polygon.map((ring) => {
        const flat = new Float64Array(ring.length);
        this.toLonLat(ring, flat, 0);
        const lonLat: number[][] = [];
        for (let v = 0; v < flat.length; v += 2) lonLat.push([flat[v]!, flat[v + 1]!]);
        return lonLat;
      }),
    );
  }

  /** Grid rings (flat x, y vertex lists, closed) grouped into polygons: exterior first, then its holes. */
  private gridPolygons(): number[][][] | null {
    if (this.cells === 0) return null;
    const rings = this.traceRings();
    const outers: { ring: number[]; area: number; polygon: number[][] }[] = [];
    const holes: number[][] = [];
    for (const ring of rings) {
      const area = signedAreaFlat(ring);
      if (area > 0) outers.push({ ring, area, polygon: [ring] });
      else holes.push(ring);
    }
    outers.sort((a, b) => a.area - b.area);
    for (const hole of holes) {
      // A point just inside the hole: right of its first edge (coverage is on the left).
      const ax = hole[0]!;
      const ay = hole[1]!;
      const bx = hole[2]!;
      const by = hole[3]!;
      const px = (ax + bx) / 2 + (by - ay) * 0.25;
      const py = (ay + by) / 2 - (bx - ax) * 0.25;
      const owner = outers.find((o) => containsPointFlat(o.ring, px, py));
      owner?.polygon.push(hole);
    }
    return outers.map((o) => o.polygon);
  }

  /** A flat grid ring's vertices as lon, lat into `out` from `k`; returns the next index. */
  private toLonLat(ring: readonly number[], out: Float64Array, k: number): number {
    const c = this.cell;
    for (let v = 0; v < ring.length; v += 2) {
      const gx = ring[v]!;
      const gy = ring[v + 1]!;
      const east = (gy * this.cos + gx * this.sin) * c;
      const north = (gy * this.sin - gx * this.cos) * c;
      out[k++] = this.originLon + east / this.kx;
      out[k++] = this.originLat + north / this.ky;
    }
    return k;
  }

  private tileAt(tx: number, ty: number, create: boolean): Uint32Array | undefined {
    const key = tileKey(tx, ty);
    if (key === this.lastKey) return this.lastTile;
    let tile = this.tiles.get(key);
    if (tile === undefined) {
      if (!create) return undefined;
      tile = new Uint32Array((TILE * TILE) / 32);
      this.tiles.set(key, tile);
    }
    this.lastKey = key;
    this.lastTile = tile;
    return tile;
  }

  private has(ix: number, iy: number): boolean {
    const tile = this.tileAt(ix >> TILE_SHIFT, iy >> TILE_SHIFT, false);
    if (tile === undefined) return false;
    const bit = ((iy & TILE_MASK) << TILE_SHIFT) | (ix & TILE_MASK);
    return (tile[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /**
   * Walking up the edge between columns x-1 (covered) and x (empty), from vertex (x, y): the
   * vertex where it stops going straight on (the cell up-left empty or the one up-right covered),
   * or `stop` (the ring's start) if that comes first. What `walkRing` would reach one vertex at a
   * time, read a tile column at a time: passes run along the grid's y axis, so these edges are
   * most of a yield layer's outline.
   */
  private runUp(x: number, y: number, stop: number): number {
    const left = x - 1;
    const leftWord = (left & TILE_MASK) >> 5;
    const leftBit = 1 << (left & 31);
    const rightWord = (x & TILE_MASK) >> 5;
    const rightBit = 1 << (x & 31);
    for (;;) {
      const ty = y >> TILE_SHIFT;
      const leftTile = this.tileAt(left >> TILE_SHIFT, ty, false);
      if (leftTile === undefined) return y;
      const rightTile = this.tileAt(x >> TILE_SHIFT, ty, false);
      for (let row = y & TILE_MASK; row < TILE; row++, y++) {
        if (y === stop || (leftTile[(row << 1) + leftWord]! & leftBit) === 0 || (rightTile !== undefined && (rightTile[(row << 1) + rightWord]! & rightBit) !== 0)) return y;
      }
    }
  }

  /** `runUp` going down: the cell down-right covered, the one down-left empty. */
  private runDown(x: number, y: number, stop: number): number {
    const left = x - 1;
    const leftWord = (left & TILE_MASK) >> 5;
    const leftBit = 1 << (left & 31);
    const rightWord = (x & TILE_MASK) >> 5;
    const rightBit = 1 << (x & 31);
    for (;;) {
      const below = y - 1;
      const ty = below >> TILE_SHIFT;
      const rightTile = this.tileAt(x >> TILE_SHIFT, ty, false);
      if (rightTile === undefined) return y;
      const leftTile = this.tileAt(left >> TILE_SHIFT, ty, false);
      for (let row = below & TILE_MASK; row >= 0; row--, y--) {
        if (y === stop || (rightTile[(row << 1) + rightWord]! & rightBit) === 0 || (leftTile !== undefined && (leftTile[(row << 1) + leftWord]! & leftBit) !== 0)) return y;
      }
    }
  }

  /** Covers cells `from..to` of row `iy`, a 32-cell word at a time (a swath row is ~10 cells). */
  private setRow(iy: number, from: number, to: number): void {
    const ty = iy >> TILE_SHIFT;
    const rowWord = (iy & TILE_MASK) << 1;
    for (let ix = from; ix <= to; ) {
      const tx = ix >> TILE_SHIFT;
      const last = Math.min(to, (tx << TILE_SHIFT) + TILE_MASK);
      const tile = this.tileAt(tx, ty, true)!;
      const a = ix & TILE_MASK;
      const b = last & TILE_MASK;
      for (let half = a >> 5; half <= b >> 5; half++) {
        const lo = Math.max(a, half << 5) & 31;
        const width = (Math.min(b, (half << 5) | 31) & 31) - lo + 1;
        const mask = (width === 32 ? -1 : (1 << width) - 1) << lo;
        const old = tile[rowWord + half]!;
        const added = mask & ~old;
        if (added !== 0) {
          tile[rowWord + half] = old | mask;
          this.cells += bitCount(added);
        }
      }
      ix = last + 1;
    }
  }

  /** Cells whose centre (ix + 0.5, iy + 0.5) lies in the convex quadrilateral at `state[QUAD..]` (cell units). */
  private fillQuad(): void {
    const s = this.state;
    const minY = Math.min(s[QUAD + 1]!, s[QUAD + 3]!, s[QUAD + 5]!, s[QUAD + 7]!);
    const maxY = Math.max(s[QUAD + 1]!, s[QUAD + 3]!, s[QUAD + 5]!, s[QUAD + 7]!);
    // Half-open [lo, hi) in both axes: a centre on an edge shared by two shapes counts once, and a
    // lattice-aligned edge (a 45° swath through cell centres) does not inflate the area.
    for (let iy = Math.ceil(minY - 0.5); iy + 0.5 < maxY; iy++) {
      const y = iy + 0.5;
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = 0; k < 8; k += 2) {
        const xa = s[QUAD + k]!;
        const ya = s[QUAD + k + 1]!;
        const xb = s[QUAD + ((k + 2) & 7)]!;
        const yb = s[QUAD + ((k + 3) & 7)]!;
        if ((ya <= y && y <= yb) || (yb <= y && y <= ya)) {
          const x = ya === yb ? Math.min(xa, xb) : xa + ((y - ya) / (yb - ya)) * (xb - xa);
          const x2 = ya === yb ? Math.max(xa, xb) : x;
          if (x < lo) lo = x;
          if (x2 > hi) hi = x2;
        }
      }
      if (lo < hi) this.setRow(iy, Math.ceil(lo - 0.5), Math.ceil(hi - 0.5) - 1);
    }
  }

  /**
   * The wedge a turn opens between two swath rectangles (a bevel join): the quadrilateral of the
   * ends of both rectangles at the joint. Within the swath width of the joint, and empty when
   * driving straight, so unlike a disc it never pokes out ahead of or behind a pass.
   */
  private fillJoin(cx: number, cy: number, h: number, ux: number, uy: number): void {
    const s = this.state;
    const prevUx = s[PREV_UX]!;
    const prevUy = s[PREV_UY]!;
    const corners = [
      [cx - prevUy * h, cy + prevUx * h],
      [cx + prevUy * h, cy - prevUx * h],
      [cx - uy * h, cy + ux * h],
      [cx + uy * h, cy - ux * h],
    ].sort((a, b) => Math.atan2(a[1]! - cy, a[0]! - cx) - Math.atan2(b[1]! - cy, b[0]! - cx));
    corners.forEach(([x, y], k) => {
      s[QUAD + 2 * k] = x!;
      s[QUAD + 2 * k + 1] = y!;
    });
    this.fillQuad();
  }

  /**
   * Directed boundary edges (coverage on the left) walked into rings of corner vertices, straight from
   * the cell bits: an edge is where a covered cell meets an empty one, so nothing per edge is stored
   * but one "walked" bit per cell and direction. Every ring has an eastward (bottom) edge, so a scan
   * for unwalked bottom edges finds each ring's start.
   */
  private traceRings(): number[][] {
    // Walked bottom (eastward) edges, one bit per cell like the tiles; other edges need marking
    // only at the rare vertices where cells touch at a corner, kept in a set.
    const walked = new Map<number, Uint32Array>();
    // One buffer for all of them: thousands of small ones are as many backing stores to allocate and sweep.
    const walkedBits = new Uint32Array(this.tiles.size * WORDS);
    let at = 0;
    for (const key of this.tiles.keys()) walked.set(key, walkedBits.subarray(at, (at += WORDS)));
    const walkedAtCorners = new Set<string>();
    let walkedKey = Number.NaN;
    let walkedTile: Uint32Array | undefined;
    /** Whether the edge leaving vertex (x, y) in `dir` was walked; `mark` marks it. */
    const walkedBit = (x: number, y: number, dir: number, mark: boolean): boolean => {
      if (dir !== RIGHT) {
        const id = `${x},${y},${dir}`;
        const seen = walkedAtCorners.has(id);
        if (mark) walkedAtCorners.add(id);
        return seen;
      }
      const key = tileKey(x >> TILE_SHIFT, y >> TILE_SHIFT);
      if (key !== walkedKey) {
        walkedKey = key;
        walkedTile = walked.get(key);
      }
      const bit = ((y & TILE_MASK) << TILE_SHIFT) | (x & TILE_MASK);
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      const seen = (walkedTile![word]! & flag) !== 0;
      if (mark) walkedTile![word] = walkedTile![word]! | flag;
      return seen;
    };

    const rings: number[][] = [];
    for (const [key, tile] of this.tiles) {
      const tx = Math.floor(key / (2 * TILE_OFFSET)) - TILE_OFFSET;
      const ty = (key % (2 * TILE_OFFSET)) - TILE_OFFSET;
      const below = this.tiles.get(tileKey(tx, ty - 1));
      const seenRight = walked.get(key)!;
      for (let word = 0; word < WORDS; word++) {
        const under = word >= 2 ? tile[word - 2]! : below === undefined ? 0 : below[WORDS - 2 + word]!;
        for (;;) {
          const starts = tile[word]! & ~under & ~seenRight[word]!;
          if (starts === 0) break;
          const bit = (word << 5) | (31 - Math.clz32(starts & -starts));
          const ring = this.walkRing((tx << TILE_SHIFT) | (bit & TILE_MASK), (ty << TILE_SHIFT) | (bit >> TILE_SHIFT), walkedBit);
          if (ring !== null) rings.push(ring);
        }
      }
    }
    return rings;
  }

  /**
   * One ring from the vertex at the start of an unwalked bottom edge; null when degenerate. Walked
   * bits matter only for bottom edges (where rings start) and at vertices where two cells touch at a
   * corner (two ways out); elsewhere a vertex has one way out and the ring simply follows it.
   */
  private walkRing(startX: number, startY: number, walkedBit: (x: number, y: number, dir: number, mark: boolean) => boolean): number[] | null {
    /** x, y of each vertex in turn. */
    const ring: number[] = [];
    let x = startX;
    let y = startY;
    let incoming = 0;
    // The four cells around vertex (x, y); a step reuses the two it shares with the next vertex.
    let ne = this.has(x, y);
    let nw = this.has(x - 1, y);
    let sw = this.has(x - 1, y - 1);
    let se = this.has(x, y - 1);
    for (;;) {
      if (incoming !== 0 && x === startX && y === startY) break;
      let mask = (ne && !se ? RIGHT : 0) | (nw && !ne ? UP : 0) | (sw && !nw ? LEFT : 0) | (se && !sw ? DOWN : 0);
      const corner = (mask & (mask - 1)) !== 0;
      if (corner) {
        for (let rest = mask; rest !== 0; rest &= rest - 1) {
          const dir = rest & -rest;
          if (walkedBit(x, y, dir, false)) mask &= ~dir;
        }
      }
      if (mask === 0) break;
      // Two ways out only where two cells touch at a corner: turn left to keep their rings apart.
      const dir = incoming !== 0 && (mask & TURN_LEFT[incoming]!) !== 0 ? TURN_LEFT[incoming]!
        : incoming !== 0 && (mask & incoming) !== 0 ? incoming
        : incoming !== 0 && (mask & TURN_RIGHT[incoming]!) !== 0 ? TURN_RIGHT[incoming]!
        : mask & -mask;
      if (corner || dir === RIGHT) walkedBit(x, y, dir, true);
      if (dir !== incoming) ring.push(x, y);
      incoming = dir;
      if (dir === RIGHT) {
        x++;
        nw = ne;
        sw = se;
        ne = this.has(x, y);
        se = this.has(x, y - 1);
      } else if (dir === UP) {
        // Along a pass: straight on while the cell up-left is covered and the one up-right is not.
        y = this.runUp(x, y + 1, x === startX && startY > y ? startY : Infinity);
        sw = this.has(x - 1, y - 1);
        se = this.has(x, y - 1);
        nw = this.has(x - 1, y);
        ne = this.has(x, y);
      } else if (dir === LEFT) {
        x--;
        ne = nw;
        se = sw;
        nw = this.has(x - 1, y);
        sw = this.has(x - 1, y - 1);
      } else {
        y = this.runDown(x, y - 1, x === startX && startY < y ? startY : -Infinity);
        nw = this.has(x - 1, y);
        ne = this.has(x, y);
        sw = this.has(x - 1, y - 1);
        se = this.has(x, y - 1);
      }
    }
    // The walk ends where it began; drop the start if it sits mid-edge, then close the ring.
    if (ring.length <= 4) return null;
    const n = ring.length;
    if ((ring[n - 2] === ring[0] && ring[0] === ring[2]) || (ring[n - 1] === ring[1] && ring[1] === ring[3])) ring.splice(0, 2);
    ring.push(ring[0]!, ring[1]!);
    return ring;
  }
}

/** Words of one tile's bits (two per row of 64 cells). */
const WORDS = (TILE * TILE) / 32;

function tileKey(tx: number, ty: number): number {
  return (tx + TILE_OFFSET) * 2 * TILE_OFFSET + (ty + TILE_OFFSET);
}

function bitCount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Shoelace area (positive counter-clockwise) of a closed ring. */
export function signedArea(ring: readonly (readonly number[])[]): number {
  let sum = 0;
  for (let k = 0; k + 1 < ring.length; k++) sum += ring[k]![0]! * ring[k + 1]![1]! - ring[k + 1]![0]! * ring[k]![1]!;
  return sum / 2;
}

/** `signedArea` of a closed ring of flat x, y pairs. */
function signedAreaFlat(ring: readonly number[]): number {
  let sum = 0;
  for (let v = 0; v + 3 < ring.length; v += 2) sum += ring[v]! * ring[v + 3]! - ring[v + 2]! * ring[v + 1]!;
  return sum / 2;
}

/** Even-odd point in polygon, for a ring of flat x, y pairs. */
function containsPointFlat(ring: readonly number[], px: number, py: number): boolean {
  let inside = false;
  for (let k = 0, j = ring.length - 2; k < ring.length; j = k, k += 2) {
    const xi = ring[k]!;
    const yi = ring[k + 1]!;
    const xj = ring[j]!;
    const yj = ring[j + 1]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
