/**
 * Field boundaries as GeoJSON (RFC 7946, WGS 84 longitude/latitude): the Polygon and MultiPolygon
 * types, validity checked under JTS's rules and reported with JTS's names (Leaf reports boundary
 * `validity` as JTS `TopologyValidationError` kinds, leaf-api.md 7.1 and 9.3), area in hectares,
 * and the simple repairs of `automaticFixBoundary`. Pure: no I/O, no packages.
 */

export type Position = number[];
export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: Position[][];
}
export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}
export type BoundaryGeometry = PolygonGeometry | MultiPolygonGeometry;

/** Leaf's `validity` values (leaf-api.md 7.1), one per JTS topology error kind. */
export const BOUNDARY_VALIDITIES = [
  'VALID', 'REPEATED_POINT', 'HOLE_OUTSIDE_SHELL', 'NESTED_HOLES', 'DISCONNECTED_INTERIOR', 'SELF_INTERSECTION', 'RING_SELF_INTERSECTION',
  'NESTED_SHELLS', 'DUPLICATE_RINGS', 'TOO_FEW_POINTS', 'INVALID_COORDINATE', 'RING_NOT_CLOSED', 'NOT_ALLOWED_GEOMETRY_TYPE',
] as const;
export type BoundaryValidity = (typeof BOUNDARY_VALIDITIES)[number];

/** JTS's message for each kind (`TopologyValidationError.errMsg`), as Leaf quotes them in errors. */
export const JTS_ERROR_NAMES: Record<Exclude<BoundaryValidity, 'VALID'>, string> = {
  REPEATED_POINT: 'Repeated Point',
  HOLE_OUTSIDE_SHELL: 'Hole lies outside shell',
  NESTED_HOLES: 'Holes are nested',
  DISCONNECTED_INTERIOR: 'Interior is disconnected',
  SELF_INTERSECTION: 'Self-intersection',
  RING_SELF_INTERSECTION: 'Ring Self-intersection',
  NESTED_SHELLS: 'Nested shells',
  DUPLICATE_RINGS: 'Duplicate Rings',
  TOO_FEW_POINTS: 'Too few distinct points in geometry component',
  INVALID_COORDINATE: 'Invalid Coordinate',
  RING_NOT_CLOSED: 'Ring is not closed',
  NOT_ALLOWED_GEOMETRY_TYPE: 'Geometry type not allowed',
};

export type ValidityReport =
  | { valid: true; validity: 'VALID' }
  | { valid: false; validity: Exclude<BoundaryValidity, 'VALID'>; location: Position | null; message: string };

const invalid = (validity: Exclude<BoundaryValidity, 'VALID'>, location: Position | null): ValidityReport => ({
  valid: false,
  validity,
  location,
  // Leaf's wording, two spaces included: "Invalid geometry: Self-intersection  at POINT (x y)".
  message: `Invalid geometry: ${JTS_ERROR_NAMES[validity]}${location === null ? '' : `  at POINT (${location[0]} ${location[1]})`}`,
});

/** A Polygon as a one-polygon MultiPolygon; a MultiPolygon unchanged. Leaf stores MultiPolygons only. */
export function toMultiPolygon(geometry: BoundaryGeometry): MultiPolygonGeometry {
  return geometry.type === 'Polygon' ? { type: 'MultiPolygon', coordinates: [geometry.coordinates] } : geometry;
}

/** True for something shaped like a GeoJSON Polygon or MultiPolygon (not necessarily valid). */
export function isBoundaryGeometry(value: unknown): value is BoundaryGeometry {
  const v = value as { type?: unknown; coordinates?: unknown } | null;
  return typeof v === 'object' && v !== null && (v.type === 'Polygon' || v.type === 'MultiPolygon') && Array.isArray(v.coordinates);
}

const samePoint = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];

/**
 * Checks a geometry as JTS's `IsValidOp` does, returning the first problem found. Checks run in
 * JTS's order: geometry type, coordinates, closed rings, enough points, then topology (proper
 * crossings between any two edges: `Self-intersection`; a ring touching itself at a vertex:
 * `Ring Self-intersection`; holes outside or inside other holes; shells inside shells; duplicate
 * rings). Not checked: `Interior is disconnected` (holes that together cut a polygon in two),
 * which needs a full topology graph; such boundaries are stored as VALID. Repeated consecutive
 * points are legal in JTS and are not reported.
 */
export function validateBoundary(value: unknown): ValidityReport {
  if (!isBoundaryGeometry(value)) return invalid('NOT_ALLOWED_GEOMETRY_TYPE', null);
  const polygons = toMultiPolygon(value).coordinates;
  if (!Array.isArray(polygons) || polygons.length === 0) return invalid('TOO_FEW_POINTS', null);
  for (const polygon of polygons) {
    if (!Array.isArray(polygon) || polygon.length === 0) return invalid('TOO_FEW_POINTS', null);
    for (const ring of polygon) {
      if (!Array.isArray(ring)) return invalid('INVALID_COORDINATE', null);
      for (const p of ring) {
        if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1]) || Math.abs(p[0]!) > 180 || Math.abs(p[1]!) > 90) {
          return invalid('INVALID_COORDINATE', Array.isArray(p) ? p : null);
        }
      }
    }
  }
  for (const polygon of polygons) {
    for (const ring of polygon) {
      if (ring.length > 0 && !samePoint(ring[0]!, ring[ring.length - 1]!)) return invalid('RING_NOT_CLOSED', ring[0]!);
    }
  }
  for (const polygon of polygons) {
    for (const ring of polygon) {
      if (distinctPoints(ring) < 3 || ring.length < 4) return invalid('TOO_FEW_POINTS', ring[0] ?? null);
    }
  }
  const crossing = findCrossing(polygons);
  if (crossing !== null) return invalid(crossing.kind, crossing.at);
  for (const polygon of polygons) {
    const shell = polygon[0]!;
    for (let h = 1; h < polygon.length; h++) {
      const outside = polygon[h]!.find((p) => !pointInRingOrOn(p, shell));
      if (outside !== undefined) return invalid('HOLE_OUTSIDE_SHELL', outside);
    }
    for (let h = 1; h < polygon.length; h++) {
      for (let k = 1; k < polygon.length; k++) {
        if (h !== k && ringInsideRing(polygon[h]!, polygon[k]!)) return invalid('NESTED_HOLES', polygon[h]![0]!);
      }
    }
  }
  for (let i = 0; i < polygons.length; i++) {
    for (let j = 0; j < polygons.length; j++) {
      if (i !== j && ringInsideRing(polygons[i]![0]!, polygons[j]![0]!) && !insideAHole(polygons[i]![0]!, polygons[j]!)) return invalid('NESTED_SHELLS', polygons[i]![0]![0]!);
    }
  }
  const rings = polygons.flat();
  const keys = new Set<string>();
  for (const ring of rings) {
    const key = ringKey(ring);
    if (keys.has(key)) return invalid('DUPLICATE_RINGS', ring[0]!);
    keys.add(key);
  }
  return { valid: true, validity: 'VALID' };
}

function distinctPoints(ring: Position[]): number {
  return new Set(ring.map((p) => `${p[0]},${p[1]}`)).size;
}

/** The same ring whatever its start and direction. */
function ringKey(ring: Position[]): string {
  const points = ring.slice(0, -1).map((p) => `${p[0]},${p[1]}`);
  const start = points.indexOf([...points].sort()[0]!);
  const forward = [...points.slice(start), ...points.slice(0, start)];
  const backward = [forward[0]!, ...forward.slice(1).reverse()];
  return [forward.join(';'), backward.join(';')].sort()[0]!;
}

interface Segment {
  ring: number;
  index: number;
  length: number;
  a: Position;
  b: Position;
  minX: number;
  maxX: number;
}

/**
 * Any two edges that cross properly, or that touch where they should not (a ring passing through
 * one of its own vertices). Edges are swept in x order, so only edges whose x ranges overlap are
 * compared: O(n log n + k) for field-shaped rings instead of O(n²).
 */
function findCrossing(polygons: Position[][][]): { kind: 'SELF_INTERSECTION' | 'RING_SELF_INTERSECTION'; at: Position } | null {
  const segments: Segment[] = [];
  let ringNo = 0;
  for (const polygon of polygons) {
    for (const ring of polygon) {
      const n = ring.length - 1;
      for (let i = 0; i < n; i++) {
        const a = ring[i]!;
        const b = ring[i + 1]!;
        if (samePoint(a, b)) continue;
        segments.push({ ring: ringNo, index: i, length: n, a, b, minX: Math.min(a[0]!, b[0]!), maxX: Math.max(a[0]!, b[0]!) });
      }
      ringNo++;
    }
  }
  segments.sort((s, t) => s.minX - t.minX);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    for (let j = i + 1; j < segments.length && segments[j]!.minX <= s.maxX; j++) {
      const t = segments[j]!;
      const hit = intersect(s.a, s.b, t.a, t.b);
      if (hit === null) continue;
      if (hit.proper) return { kind: 'SELF_INTERSECTION', at: hit.at };
      if (s.ring === t.ring) {
        // Consecutive edges share their vertex: that is the ring, not a touch.
        const gap = Math.abs(s.index - t.index);
        if (gap === 1 || gap === s.length - 1) {
          if (hit.collinearOverlap) return { kind: 'SELF_INTERSECTION', at: hit.at };
          continue;
        }
        return { kind: hit.collinearOverlap ? 'SELF_INTERSECTION' : 'RING_SELF_INTERSECTION', at: hit.at };
      }
      // Rings of one polygon may touch at a point (JTS allows a hole touching its shell once);
      // overlapping edges between rings are a self-intersection.
      if (hit.collinearOverlap) return { kind: 'SELF_INTERSECTION', at: hit.at };
    }
  }
  return null;
}

const orient = (a: Position, b: Position, c: Position) => (b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!);
const onSegment = (a: Position, b: Position, p: Position) =>
  Math.min(a[0]!, b[0]!) <= p[0]! && p[0]! <= Math.max(a[0]!, b[0]!) && Math.min(a[1]!, b[1]!) <= p[1]! && p[1]! <= Math.max(a[1]!, b[1]!);

function intersect(a: Position, b: Position, c: Position, d: Position): { proper: boolean; collinearOverlap: boolean; at: Position } | null {
  const d1 = orient(c, d, a);
  const d2 = orient(c, d, b);
  const d3 = orient(a, b, c);
  const d4 = orient(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    const t = d1 / (d1 - d2);
    return { proper: true, collinearOverlap: false, at: [a[0]! + t * (b[0]! - a[0]!), a[1]! + t * (b[1]! - a[1]!)] };
  }
  if (d1 === 0 && d2 === 0) {
    // Collinear: an overlap longer than a point is a crossing of the two edges.
    const shared = [a, b].filter((p) => onSegment(c, d, p)).concat([c, d].filter((p) => onSegment(a, b, p)));
    const distinct = shared.filter((p, i) => shared.findIndex((q) => samePoint(p, q)) === i);
    if (distinct.length >= 2) return { proper: false, collinearOverlap: true, at: distinct[0]! };
    if (distinct.length === 1) return { proper: false, collinearOverlap: false, at: distinct[0]! };
    return null;
  }
  if (d1 === 0 && onSegment(c, d, a)) return { proper: false, collinearOverlap: false, at: a };
  if (d2 === 0 && onSegment(c, d, b)) return { proper: false, collinearOverlap: false, at: b };
  if (d3 === 0 && onSegment(a, b, c)) return { proper: false, collinearOverlap: false, at: c };
  if (d4 === 0 && onSegment(a, b, d)) return { proper: false, collinearOverlap: false, at: d };
  return null;
}

/** Even-odd ray casting; points on the boundary count as inside. */
function pointInRingOrOn(point: Position, ring: Position[]): boolean {
  const [x, y] = point as [number, number];
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i]!;
    const b = ring[j]!;
    if (orient(a, b, point) === 0 && onSegment(a, b, point)) return true;
    if (a[1]! > y !== b[1]! > y && x < ((b[0]! - a[0]!) * (y - a[1]!)) / (b[1]! - a[1]!) + a[0]!) inside = !inside;
  }
  return inside;
}

function pointStrictlyInRing(point: Position, ring: Position[]): boolean {
  for (let i = 0; i + 1 < ring.length; i++) if (orient(ring[i]!, ring[i + 1]!, point) === 0 && onSegment(ring[i]!, ring[i + 1]!, point)) return false;
  return pointInRingOrOn(point, ring);
}

/** With no crossings known, `inner` is inside `outer` when one of its vertices off `outer` is. */
function ringInsideRing(inner: Position[], outer: Position[]): boolean {
  const probe = inner.find((p) => pointStrictlyInRing(p, outer) || !pointInRingOrOn(p, outer));
  return probe !== undefined && pointStrictlyInRing(probe, outer);
}

/** A shell inside another polygon's hole is an island, which MultiPolygons allow. */
function insideAHole(shell: Position[], polygon: Position[][]): boolean {
  return polygon.slice(1).some((hole) => ringInsideRing(shell, hole));
}

/** Twice the signed planar area in degrees²: positive counter-clockwise. */
function signedArea2(ring: Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return sum;
}

// WGS 84 ellipsoid and its authalic (equal-area) sphere.
const WGS84_A = 6378137;
const WGS84_F = 1 / 298.257223563;
const E2 = WGS84_F * (2 - WGS84_F);
const E = Math.sqrt(E2);
const qOf = (sinPhi: number) => (1 - E2) * (sinPhi / (1 - E2 * sinPhi * sinPhi) - (1 / (2 * E)) * Math.log((1 - E * sinPhi) / (1 + E * sinPhi)));
const Q_POLE = qOf(1);
/** Radius of the sphere with the ellipsoid's surface area (6,371,007.18 m). */
const AUTHALIC_RADIUS = WGS84_A * Math.sqrt(Q_POLE / 2);
const RAD = Math.PI / 180;

/**
 * Area in hectares on the WGS 84 ellipsoid, computed on its authalic sphere: each latitude is
 * mapped to its authalic latitude (sin β = q(φ)/q(90°)), which preserves area exactly, and the
 * ring's area on that sphere is the line integral R²/2 · Σ (λ₂ − λ₁)(2 + sin β₁ + sin β₂)
 * (Chamberlain and Duquette 2007, the one d3 and turf use on a plain sphere). Edges are taken as
 * straight in longitude/latitude, as GeoJSON draws them; for field-sized rings the result agrees
 * with a geodesic polygon area to far better than 0.1 %. Holes subtract.
 */
export function areaHectares(geometry: BoundaryGeometry): number {
  let total = 0;
  for (const polygon of toMultiPolygon(geometry).coordinates) {
    polygon.forEach((ring, i) => {
      const area = Math.abs(ringAreaM2(ring));
      total += i === 0 ? area : -area;
    });
  }
  return Math.max(0, total) / 10_000;
}

function ringAreaM2(ring: Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [lon1, lat1] = ring[i]! as [number, number];
    const [lon2, lat2] = ring[i + 1]! as [number, number];
    let dLon = (lon2 - lon1) * RAD;
    // Across the antimeridian, take the short way round.
    if (dLon > Math.PI) dLon -= 2 * Math.PI;
    else if (dLon < -Math.PI) dLon += 2 * Math.PI;
    sum += dLon * (2 + qOf(Math.sin(lat1 * RAD)) / Q_POLE + qOf(Math.sin(lat2 * RAD)) / Q_POLE);
  }
  return (sum * AUTHALIC_RADIUS * AUTHALIC_RADIUS) / 2;
}

/** [minLon, minLat, maxLon, maxLat]. */
export function boundingBox(geometry: BoundaryGeometry): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const polygon of toMultiPolygon(geometry).coordinates) {
    for (const p of polygon[0] ?? []) {
      if (p[0]! < minX) minX = p[0]!;
      if (p[0]! > maxX) maxX = p[0]!;
      if (p[1]! < minY) minY = p[1]!;
      if (p[1]! > maxY) maxY = p[1]!;
    }
  }
  return [minX, minY, maxX, maxY];
}

export interface BoundaryFix {
  /** The repaired geometry (or the input, normalised to a MultiPolygon, when nothing could be done). */
  geometry: MultiPolygonGeometry;
  /** True when the input was invalid and the result is valid. */
  fixed: boolean;
  /** The input's validity. */
  before: ValidityReport;
  /** The result's validity. */
  after: ValidityReport;
}

/**
 * Turns each self-intersecting polygon into valid polygons. Furrow's implementation is a union of
 * the polygon with itself (`polygon-clipping`, wired in by the Fields service), which splits a ring
 * at its crossings; it lives outside the domain because it is a library.
 */
export type SelfIntersectionResolver = (polygon: Position[][]) => Position[][][];

/**
 * Leaf's `automaticFixBoundary` (leaf-api.md 4.1, 7.1): the simple repairs, in order: drop
 * coordinates past the third (elevation), close open rings, drop repeated consecutive points,
 * drop rings with fewer than three distinct points (a degenerate shell drops its polygon), drop
 * duplicate rings, orient shells counter-clockwise and holes clockwise (RFC 7946 §3.1.6). A
 * geometry still self-intersecting after that is passed polygon by polygon to `resolve` when
 * given; without it, it is left as it is and reported not fixed. Holes outside their shell and
 * nested shells are never guessed at: the boundary stays invalid.
 */
export function automaticFixBoundary(value: BoundaryGeometry, resolve?: SelfIntersectionResolver): BoundaryFix {
  const before = validateBoundary(value);
  const input = toMultiPolygon(value);
  if (before.valid || before.validity === 'NOT_ALLOWED_GEOMETRY_TYPE' || before.validity === 'INVALID_COORDINATE') {
    return { geometry: input, fixed: false, before, after: before };
  }
  const seen = new Set<string>();
  const polygons: Position[][][] = [];
  for (const polygon of input.coordinates) {
    const rings: Position[][] = [];
    polygon.forEach((raw) => {
      const ring = cleanRing(raw);
      if (ring === null) return;
      const key = ringKey(ring);
      if (seen.has(key)) return;
      seen.add(key);
      const ccw = signedArea2(ring) > 0;
      // The first usable ring is the shell: counter-clockwise; holes clockwise.
      rings.push(rings.length === 0 ? (ccw ? ring : ring.reverse()) : ccw ? ring.reverse() : ring);
    });
    if (rings.length > 0 && polygon[0] !== undefined && cleanRing(polygon[0]) !== null) polygons.push(rings);
  }
  let geometry: MultiPolygonGeometry = { type: 'MultiPolygon', coordinates: polygons };
  let after = validateBoundary(geometry);
  if (!after.valid && (after.validity === 'SELF_INTERSECTION' || after.validity === 'RING_SELF_INTERSECTION') && resolve !== undefined) {
    const resolved = polygons.flatMap((polygon) => (validateBoundary({ type: 'Polygon', coordinates: polygon }).valid ? [polygon] : resolve(polygon)));
    geometry = { type: 'MultiPolygon', coordinates: resolved };
    after = validateBoundary(geometry);
  }
  return { geometry, fixed: after.valid, before, after };
}

function cleanRing(raw: Position[]): Position[] | null {
  const ring: Position[] = [];
  for (const p of raw) {
    const point = [p[0]!, p[1]!];
    const last = ring[ring.length - 1];
    if (last === undefined || !samePoint(last, point)) ring.push(point);
  }
  if (ring.length > 1 && samePoint(ring[0]!, ring[ring.length - 1]!)) ring.pop();
  if (ring.length < 3) return null;
  ring.push([ring[0]![0]!, ring[0]![1]!]);
  return ring;
}
