/**
 * Which field a point lies in: flatbush (a packed Hilbert R-tree) over the bounding box of every
 * polygon part, then an exact point-in-polygon test of the candidate parts.
 *
 * The rule, for every point (lon, lat in WGS 84 degrees, treated as a plane):
 * - A point on a field's boundary (an exterior edge, a vertex, the edge of a hole) is inside that
 *   field. A point strictly inside a hole is not in the field.
 * - A point in several fields (overlapping fields, or on an edge two fields share) goes to the field
 *   with the smallest area (`areaSquareMetres`); equal areas go to the lower `fieldId` (string
 *   order), then to the earlier entry of `fields`. So every point of a shared edge goes to one field,
 *   the same one all along the edge, and a small field drawn inside a big one keeps its points.
 * - A MultiPolygon's parts are tested one by one; a point in any part is in the field.
 * - Every edge is stored with its lower end first, so an edge two fields share is the same arithmetic
 *   in both: a point a rounding error off a shared diagonal edge is on the same side of it for both
 *   fields, never in neither and never in both.
 * - Not supported: fields that cross the antimeridian (±180°) or contain a pole. Their longitudes
 *   are taken as plane coordinates, so a ring drawn across ±180° covers the long way round.
 * - NaN coordinates are in no field; rings with fewer than four positions are ignored.
 *
 * Speed: each part's edges (exterior and holes together, even-odd) are bucketed into horizontal
 * bands of equal height, so a test reads only the edges of the point's band, O(edges in one band)
 * rather than O(all edges). Parts whose field cannot beat the best match so far are not tested.
 * `locateMany` allocates nothing per point: the tree walk uses a stack kept on the instance.
 */
import Flatbush from 'flatbush';

/** A field boundary to index: a GeoJSON MultiPolygon in WGS 84. */
export interface FieldShape {
  readonly fieldId: string;
  readonly geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
}

const EARTH_RADIUS = 6_371_008.8;
const RAD = Math.PI / 180;
/** Flatbush node size: small nodes mean fewer box tests per point query (build time does not matter here). */
const NODE_SIZE = 8;
/** The lookup grid has at most this many cells per part (and at least `MIN_GRID_CELLS`). */
const GRID_CELLS_PER_PART = 16;
const MIN_GRID_CELLS = 1024;
/** A grid cell with more candidate parts than this defers to the tree walk. */
const MAX_CELL_CANDIDATES = 12;
/** About this many edges per band; more bands cost memory for long edges that span many of them. */
const EDGES_PER_BAND = 2;
const MAX_BANDS_PER_PART = 4096;
/** Band entries per edge allowed before a part gets fewer bands (a star's long spokes span them all). */
const MAX_ENTRIES_PER_EDGE = 8;

export class FieldIndex {
  readonly fields: readonly FieldShape[];
  /** Area of each field in m² (spherical, holes subtracted); used for the overlap rule. */
  readonly areaSquareMetres: Float64Array;

  private readonly tree: Flatbush | null;
  private readonly boxes: Float64Array;
  private readonly indices: Uint16Array | Uint32Array;
  private readonly levelBounds: Int32Array;
  private readonly numItems4: number;
  private readonly stack: Int32Array;
  /** Per part: its field, first band (global), band count, bottom y and bands per degree. */
  private readonly partField: Int32Array;
  private readonly partFirstBand: Int32Array;
  private readonly partBands: Int32Array;
  private readonly partMinY: Float64Array;
  private readonly partBandScale: Float64Array;
  /** Per global band: first entry in `edges` (quadruples); band g's entries end where g + 1's begin. */
  private readonly bandStart: Int32Array;
  /** Edges as x0, y0, x1, y1 with y0 < y1 (or y0 = y1 and x0 ≤ x1), copied into each band they span. */
  private readonly edges: Float64Array;
  /** Lower rank wins when a point is in several fields. */
  private readonly rank: Int32Array;
  /** Per part: minX, minY, maxX, maxY. */
  private readonly partBox: Float64Array;
  /**
   * A uniform grid over the index's extent, filled from the tree: cell c's candidate parts are
   * `cellParts[cellStart[c]..cellEnd[c]]`, ordered by rank so the first part containing the
   * point is the answer; `cellStart[c] = -1` marks a crowded cell, left to the tree walk.
   */
  private readonly gridMinX: number;
  private readonly gridMinY: number;
  private readonly gridScaleX: number;
  private readonly gridScaleY: number;
  private readonly gridColumns: number;
  private readonly gridRows: number;
  private readonly cellStart: Int32Array;
  private readonly cellEnd: Int32Array;
  private readonly cellParts: Int32Array;

  constructor(fields: readonly FieldShape[]) {
    this.fields = fields;
    this.areaSquareMetres = new Float64Array(fields.length);
    const parts: { field: number; rings: number[][][]; minX: number; minY: number; maxX: number; maxY: number }[] = [];
    fields.forEach((field, f) => {
      for (const polygon of field.geometry.coordinates) {
        const rings = polygon.filter(isUsableRing);
        if (rings.length === 0) continue;
        let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
        for (const [x, y] of rings[0]!) {
          if (x! < minX) minX = x!;
          if (x! > maxX) maxX = x!;
          if (y! < minY) minY = y!;
          if (y! > maxY) maxY = y!;
        }
        parts.push({ field: f, rings, minX, minY, maxX, maxY });
        this.areaSquareMetres[f] = this.areaSquareMetres[f]! + Math.abs(sphericalRingArea(rings[0]!)) - rings.slice(1).reduce((sum, hole) => sum + Math.abs(sphericalRingArea(hole)), 0);
      }
    });

    const order = fields.map((_, f) => f).sort((a, b) => {
      const byArea = this.areaSquareMetres[a]! - this.areaSquareMetres[b]!;
      if (byArea !== 0) return byArea;
      const idA = fields[a]!.fieldId;
      const idB = fields[b]!.fieldId;
      return idA < idB ? -1 : idA > idB ? 1 : a - b;
    });
    this.rank = new Int32Array(fields.length);
    order.forEach((f, r) => (this.rank[f] = r));

    this.partField = new Int32Array(parts.length);
    this.partBox = new Float64Array(parts.length * 4);
    parts.forEach((part, p) => this.partBox.set([part.minX, part.minY, part.maxX, part.maxY], p * 4));
    this.partFirstBand = new Int32Array(parts.length);
    this.partBands = new Int32Array(parts.length);
    this.partMinY = new Float64Array(parts.length);
    this.partBandScale = new Float64Array(parts.length);
    const bandLists: number[][] = [];
    parts.forEach((part, p) => {
      const partEdges: number[] = [];
      for (const ring of part.rings) {
        for (let k = 0; k + 1 < ring.length; k++) {
          const [ax, ay] = ring[k]!;
          const [bx, by] = ring[k + 1]!;
          if (ax === bx && ay === by) continue;
          const aFirst = ay! < by! || (ay === by && ax! <= bx!);
          if (aFirst) partEdges.push(ax!, ay!, bx!, by!);
          else partEdges.push(bx!, by!, ax!, ay!);
        }
      }
      const edgeCount = partEdges.length / 4;
      const height = part.maxY - part.minY;
      let bands = height > 0 ? Math.min(MAX_BANDS_PER_PART, Math.max(1, Math.ceil(edgeCount / EDGES_PER_BAND))) : 1;
      let lists: number[][];
      for (;;) {
        const scale = height > 0 ? bands / height : 0;
        lists = Array.from({ length: bands }, () => []);
        let entries = 0;
        for (let e = 0; e < partEdges.length; e += 4) {
          const from = this.bandOf(partEdges[e + 1]!, part.minY, scale, bands);
          const to = this.bandOf(partEdges[e + 3]!, part.minY, scale, bands);
          for (let b = from; b <= to; b++) lists[b]!.push(e);
          entries += to - from + 1;
        }
        if (bands === 1 || entries <= MAX_ENTRIES_PER_EDGE * edgeCount) {
          this.partBandScale[p] = scale;
          break;
        }
        bands = Math.max(1, bands >> 1);
      }
      this.partField[p] = part.field;
      this.partFirstBand[p] = bandLists.length;
      this.partBands[p] = bands;
      this.partMinY[p] = part.minY;
      for (const list of lists) bandLists.push(list.flatMap((e) => partEdges.slice(e, e + 4)));
    });
    this.bandStart = new Int32Array(bandLists.length + 1);
    let entries = 0;
    bandLists.forEach((list, g) => {
      this.bandStart[g] = entries;
      entries += list.length;
    });
    this.bandStart[bandLists.length] = entries;
    this.edges = new Float64Array(entries);
    bandLists.forEach((list, g) => this.edges.set(list, this.bandStart[g]!));

    if (parts.length === 0) {
      this.tree = null;
      this.boxes = new Float64Array(0);
      this.indices = new Uint16Array(0);
      this.levelBounds = new Int32Array(0);
      this.numItems4 = 0;
      this.stack = new Int32Array(0);
      this.gridMinX = this.gridMinY = this.gridScaleX = this.gridScaleY = 0;
      this.gridColumns = this.gridRows = 0;
      this.cellStart = new Int32Array(0);
      this.cellEnd = new Int32Array(0);
      this.cellParts = new Int32Array(0);
      return;
    }
    const tree = new Flatbush(parts.length, NODE_SIZE);
    for (const part of parts) tree.add(part.minX, part.minY, part.maxX, part.maxY);
    tree.finish();
    // Flatbush's own `search` allocates its queue and result arrays on every call; a point query
    // walks the same packed tree (boxes, indices and level bounds it exposes) with a reused stack.
    this.tree = tree;
    this.boxes = tree._boxes as Float64Array;
    this.indices = tree._indices;
    this.levelBounds = Int32Array.from(tree._levelBounds);
    this.numItems4 = tree.numItems * 4;
    this.stack = new Int32Array(2 * tree.nodeSize * this.levelBounds.length + 4);

    // Cells about the size of a typical part, as few as the extent allows within the budget: a
    // point then costs one cell lookup and the test of the one or two parts there.
    const widths = parts.map((part) => part.maxX - part.minX).sort((a, b) => a - b);
    const heights = parts.map((part) => part.maxY - part.minY).sort((a, b) => a - b);
    const extentX = tree.maxX - tree.minX;
    const extentY = tree.maxY - tree.minY;
    const budget = Math.max(MIN_GRID_CELLS, GRID_CELLS_PER_PART * parts.length);
    let cellX = Math.max(widths[widths.length >> 1]!, extentX / budget, 1e-9);
    let cellY = Math.max(heights[heights.length >> 1]!, extentY / budget, 1e-9);
    while (Math.ceil(extentX / cellX) * Math.ceil(extentY / cellY) > budget) {
      cellX *= 1.25;
      cellY *= 1.25;
    }
    this.gridColumns = Math.max(1, Math.ceil(extentX / cellX));
    this.gridRows = Math.max(1, Math.ceil(extentY / cellY));
    this.gridMinX = tree.minX;
    this.gridMinY = tree.minY;
    this.gridScaleX = extentX > 0 ? this.gridColumns / extentX : 0;
    this.gridScaleY = extentY > 0 ? this.gridRows / extentY : 0;
    const cells = this.gridColumns * this.gridRows;
    this.cellStart = new Int32Array(cells);
    this.cellEnd = new Int32Array(cells);
    const cellParts: number[] = [];
    for (let row = 0; row < this.gridRows; row++) {
      for (let column = 0; column < this.gridColumns; column++) {
        const c = row * this.gridColumns + column;
        // The cell's box as the lookup computes it: a point maps to cell c iff it lies in
        // [min + k / scale, min + (k + 1) / scale], give or take rounding, so widen by a hair.
        const x0 = this.gridMinX + column / this.gridScaleX;
        const y0 = this.gridMinY + row / this.gridScaleY;
        const x1 = this.gridMinX + (column + 1) / this.gridScaleX;
        const y1 = this.gridMinY + (row + 1) / this.gridScaleY;
        const slackX = (x1 - x0) * 1e-6;
        const slackY = (y1 - y0) * 1e-6;
        const found = extentX > 0 && extentY > 0
          ? tree.search(x0 - slackX, y0 - slackY, x1 + slackX, y1 + slackY)
          : tree.search(tree.minX, tree.minY, tree.maxX, tree.maxY);
        if (found.length > MAX_CELL_CANDIDATES) {
          this.cellStart[c] = -1;
          continue;
        }
        this.cellStart[c] = cellParts.length;
        found.sort((a, b) => this.rank[this.partField[a]!]! - this.rank[this.partField[b]!]!);
        cellParts.push(...found);
        this.cellEnd[c] = cellParts.length;
      }
    }
    this.cellParts = Int32Array.from(cellParts);
  }

  /** Index into `fields` of the field containing the point, or -1 (rule in the module comment). */
  locate(lon: number, lat: number): number {
    // NaN fails every comparison below, so it would pass the box tests: turn it away here.
    if (this.tree === null || !(lon === lon && lat === lat)) return -1;
    let column = Math.floor((lon - this.gridMinX) * this.gridScaleX);
    let row = Math.floor((lat - this.gridMinY) * this.gridScaleY);
    if (column < 0 || row < 0 || column > this.gridColumns || row > this.gridRows) return -1;
    if (column === this.gridColumns) column--;
    if (row === this.gridRows) row--;
    const cell = row * this.gridColumns + column;
    const start = this.cellStart[cell]!;
    if (start < 0) return this.locateInTree(lon, lat);
    const end = this.cellEnd[cell]!;
    const box = this.partBox;
    for (let k = start; k < end; k++) {
      const part = this.cellParts[k]!;
      const b = part * 4;
      if (lon < box[b]! || lat < box[b + 1]! || lon > box[b + 2]! || lat > box[b + 3]!) continue;
      if (this.partContains(part, lon, lat)) return this.partField[part]!;
    }
    return -1;
  }

  /** `locate` by walking the tree, for points in crowded grid cells. */
  private locateInTree(lon: number, lat: number): number {
    const boxes = this.boxes;
    const indices = this.indices;
    const levelBounds = this.levelBounds;
    const stack = this.stack;
    const nodeSize4 = NODE_SIZE * 4;
    const numItems4 = this.numItems4;
    let best = -1;
    let bestRank = 0x7fffffff;
    let sp = 0;
    stack[sp++] = boxes.length - 4;
    stack[sp++] = levelBounds.length - 1;
    while (sp > 0) {
      const level = stack[--sp]!;
      const nodeIndex = stack[--sp]!;
      const end = Math.min(nodeIndex + nodeSize4, levelBounds[level]!);
      if (nodeIndex >= numItems4) {
        for (let pos = nodeIndex; pos < end; pos += 4) {
          if (lon < boxes[pos]! || lat < boxes[pos + 1]! || lon > boxes[pos + 2]! || lat > boxes[pos + 3]!) continue;
          stack[sp++] = indices[pos >> 2]!;
          stack[sp++] = level - 1;
        }
      } else {
        for (let pos = nodeIndex; pos < end; pos += 4) {
          if (lon < boxes[pos]! || lat < boxes[pos + 1]! || lon > boxes[pos + 2]! || lat > boxes[pos + 3]!) continue;
          const part = indices[pos >> 2]!;
          const field = this.partField[part]!;
          const rank = this.rank[field]!;
          if (rank < bestRank && this.partContains(part, lon, lat)) {
            best = field;
            bestRank = rank;
          }
        }
      }
    }
    return best;
  }

  /** Fills `out[i]` with `locate(lon[i], lat[i])` for i < length; the fast path, allocation-free. */
  locateMany(lon: Float64Array, lat: Float64Array, length: number, out: Int32Array): void {
    if (length > lon.length || length > lat.length || length > out.length) {
      throw new RangeError(`locateMany: length ${length} exceeds an array (lon ${lon.length}, lat ${lat.length}, out ${out.length})`);
    }
    for (let i = 0; i < length; i++) out[i] = this.locate(lon[i]!, lat[i]!);
  }

  /**
   * Every field containing the point (boundary included), whatever the overlap rule would pick:
   * coverage counts a cell for each field it lies in. Writes field indices to `out` (in no
   * particular order) and returns how many; `out` needs room for every field that can overlap.
   */
  locateAll(lon: number, lat: number, out: Int32Array): number {
    if (this.tree === null || !(lon === lon && lat === lat)) return 0;
    let found = 0;
    const boxes = this.boxes;
    const stack = this.stack;
    let sp = 0;
    stack[sp++] = boxes.length - 4;
    stack[sp++] = this.levelBounds.length - 1;
    while (sp > 0) {
      const level = stack[--sp]!;
      const nodeIndex = stack[--sp]!;
      const end = Math.min(nodeIndex + NODE_SIZE * 4, this.levelBounds[level]!);
      for (let pos = nodeIndex; pos < end; pos += 4) {
        if (lon < boxes[pos]! || lat < boxes[pos + 1]! || lon > boxes[pos + 2]! || lat > boxes[pos + 3]!) continue;
        const child = this.indices[pos >> 2]!;
        if (nodeIndex >= this.numItems4) {
          stack[sp++] = child;
          stack[sp++] = level - 1;
          continue;
        }
        const field = this.partField[child]!;
        if (!this.partContains(child, lon, lat)) continue;
        let seen = false;
        for (let k = 0; k < found; k++) if (out[k] === field) seen = true;
        if (!seen && found < out.length) out[found++] = field;
      }
    }
    return found;
  }

  /** Whether the point is inside or on the boundary of one part (exterior and holes, even-odd). */
  private partContains(part: number, x: number, y: number): boolean {
    const bands = this.partBands[part]!;
    const band = this.bandOf(y, this.partMinY[part]!, this.partBandScale[part]!, bands);
    const global = this.partFirstBand[part]! + band;
    const edges = this.edges;
    const end = this.bandStart[global + 1]!;
    let inside = false;
    for (let k = this.bandStart[global]!; k < end; k += 4) {
      const y0 = edges[k + 1]!;
      const y1 = edges[k + 3]!;
      if (y < y0 || y > y1) continue;
      const x0 = edges[k]!;
      const x1 = edges[k + 2]!;
      if (y0 === y1) {
        if (x >= x0 && x <= x1) return true;
        continue;
      }
      // Positive: the point is left of the upward edge, so a ray towards +x crosses it.
      const side = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0);
      if (side === 0) return true;
      // Half-open in y: a ray through a vertex counts the edges above it once, not twice.
      if (side > 0 && y < y1) inside = !inside;
    }
    return inside;
  }

  /** Band of y in a part; monotone in y, so an edge spanning [y0, y1] is in the band of every y between. */
  private bandOf(y: number, minY: number, scale: number, bands: number): number {
    const b = Math.floor((y - minY) * scale);
    return b < 0 ? 0 : b >= bands ? bands - 1 : b;
  }
}

function isUsableRing(ring: number[][]): boolean {
  return ring.length >= 4 && ring.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
}

/**
 * Signed area in m² of a ring on the sphere (Chamberlain and Duquette, "Some algorithms for polygons
 * on a sphere", JPL 2007), as turf's `area` computes it.
 */
export function sphericalRingArea(ring: readonly (readonly number[])[]): number {
  let total = 0;
  const n = ring.length;
  if (n < 3) return 0;
  for (let i = 0; i < n; i++) {
    const lower = ring[i]!;
    const middle = ring[(i + 1) % n]!;
    const upper = ring[(i + 2) % n]!;
    total += (upper[0]! * RAD - lower[0]! * RAD) * Math.sin(middle[1]! * RAD);
  }
  return (total * EARTH_RADIUS * EARTH_RADIUS) / 2;
}
