/**
 * Polygon shapefiles (ESRI Shapefile Technical Description, 1998): Polygon, PolygonZ and PolygonM
 * records, each a list of rings where clockwise rings are outer rings and counter-clockwise ones
 * holes. Each record becomes one MultiPolygon: every hole goes to the outer ring that contains it,
 * and rings are re-oriented the GeoJSON way (RFC 7946: outer counter-clockwise). Coordinates go
 * to WGS 84 through the .prj, with the machine-file reader's reprojection. The name is the `.dbf`'s
 * `name` column (any case), as Leaf documents.
 */
import { dbfEncoding, parseDbfHeader } from '../shapefile/dbf-header.js';
import { reprojectionFromPrj } from '../shapefile/reprojection.js';
import { parseShpHeader, SHAPE_TYPES, SHP_HEADER_LENGTH } from '../shapefile/shp-header.js';
import { MachineFileError } from '../machine-data.js';
import type { NamedBoundary } from './read-boundary-files.js';

const POLYGON_TYPES: ReadonlySet<number> = new Set([5, 15, 25]);

export interface ShapefileBytes {
  name: string;
  shp: Uint8Array;
  dbf: Uint8Array | undefined;
  prj: string | undefined;
  cpg: string | undefined;
}

export function readShapefileBoundaries(input: ShapefileBytes): { boundaries: NamedBoundary[]; errors: string[] } {
  const { name, shp } = input;
  const header = parseShpHeader(shp, name);
  if (!POLYGON_TYPES.has(header.shapeType)) {
    throw new MachineFileError('no_machine_data', `${name}: a ${SHAPE_TYPES[header.shapeType]} layer; field boundaries are Polygon layers. Export the boundaries as polygons.`);
  }
  const names = input.dbf === undefined ? [] : dbfNames(input.dbf, input.cpg, name);
  const reprojection = reprojectionFromPrj(input.prj, name);
  const view = new DataView(shp.buffer, shp.byteOffset, shp.byteLength);
  const boundaries: NamedBoundary[] = [];
  const errors: string[] = [];
  const end = Math.min(shp.length, header.fileLength);
  let record = 0;
  for (let at = SHP_HEADER_LENGTH; at + 12 <= end; record++) {
    const contentBytes = view.getInt32(at + 4, false) * 2;
    const body = at + 8;
    const next = body + contentBytes;
    if (next > end) {
      errors.push(`${name}: record ${record + 1} runs past the end of the .shp; the file is truncated.`);
      break;
    }
    const shapeType = view.getInt32(body, true);
    at = next;
    const label = names[record] ?? null;
    if (shapeType === 0) {
      errors.push(`${name}: record ${record + 1}${label === null ? '' : ` (${label})`} has no shape.`);
      continue;
    }
    const numParts = view.getInt32(body + 36, true);
    const numPoints = view.getInt32(body + 40, true);
    const partsAt = body + 44;
    const pointsAt = partsAt + numParts * 4;
    if (numParts < 1 || numPoints < 1 || pointsAt + numPoints * 16 > next) {
      errors.push(`${name}: record ${record + 1}${label === null ? '' : ` (${label})`} declares ${numParts} rings and ${numPoints} points that do not fit in it.`);
      continue;
    }
    const x = new Float64Array(numPoints);
    const y = new Float64Array(numPoints);
    for (let i = 0; i < numPoints; i++) {
      x[i] = view.getFloat64(pointsAt + i * 16, true);
      y[i] = view.getFloat64(pointsAt + i * 16 + 8, true);
    }
    reprojection.project(x, y, numPoints);
    const rings: number[][][] = [];
    for (let p = 0; p < numParts; p++) {
      const from = view.getInt32(partsAt + p * 4, true);
      const to = p + 1 < numParts ? view.getInt32(partsAt + (p + 1) * 4, true) : numPoints;
      const ring: number[][] = [];
      for (let i = Math.max(0, from); i < Math.min(to, numPoints); i++) ring.push([x[i]!, y[i]!]);
      if (ring.length > 0) rings.push(ring);
    }
    boundaries.push({ name: label, geometry: { type: 'MultiPolygon', coordinates: assemblePolygons(rings) } });
  }
  return { boundaries, errors };
}

/** Outer rings (clockwise in a shapefile) each with the holes inside them, oriented for GeoJSON. */
function assemblePolygons(rings: number[][][]): number[][][][] {
  const shells: number[][][][] = [];
  const holes: number[][][] = [];
  for (const ring of rings) {
    if (signedArea(ring) <= 0) shells.push([ring.slice().reverse()]);
    else holes.push(ring.slice().reverse());
  }
  for (const hole of holes) {
    const owner = shells.find((polygon) => containsPoint(polygon[0]!, hole[0]!));
    // A hole no shell contains is kept as a shell of its own: validation then reports it, where
    // dropping it would silently change the field.
    if (owner === undefined) shells.push([hole.slice().reverse()]);
    else owner.push(hole);
  }
  return shells;
}

function signedArea(ring: number[][]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return sum / 2;
}

function containsPoint(ring: number[][], point: number[]): boolean {
  const [px, py] = point as [number, number];
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The `name` column of every record (null where empty or absent); deleted records keep their slot. */
function dbfNames(dbf: Uint8Array, cpg: string | undefined, name: string): (string | null)[] {
  const header = parseDbfHeader(dbf, dbf.length, name);
  const field = header.fields.find((f) => f.name.toLowerCase() === 'name');
  if (field === undefined) return [];
  const decoder = new TextDecoder(dbfEncoding(cpg, header.languageDriver));
  const names: (string | null)[] = [];
  for (let r = 0; r < header.recordCount; r++) {
    const start = header.headerLength + r * header.recordLength + field.offset;
    const value = decoder.decode(dbf.subarray(start, start + field.length)).replace(/\0/g, '').trim();
    names.push(value === '' ? null : value);
  }
  return names;
}
