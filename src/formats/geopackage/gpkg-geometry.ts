/**
 * GeoPackage geometry blobs (OGC 12-128r18, section 2.1.3): a "GP" header (version, flags, srs_id,
 * an optional envelope) followed by standard WKB. Only points are machine data: Point and
 * MultiPoint with optional Z and M, in ISO (1001, 2001, 3001) or extended (0x80000000 Z flag)
 * type codes. GeoPackage always stores x = easting/longitude, y = northing/latitude.
 */
import { MachineFileError } from '../machine-data.js';

const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

/** Decoded points of one geometry; arrays grow as needed and are reused row to row. */
export class PointScratch {
  x = new Float64Array(16);
  y = new Float64Array(16);
  z = new Float64Array(16);

  ensure(count: number): void {
    if (count <= this.x.length) return;
    const size = Math.max(count, this.x.length * 2);
    this.x = new Float64Array(size);
    this.y = new Float64Array(size);
    this.z = new Float64Array(size);
  }
}

/** Not a point geometry: a polygon, line or collection. */
export const NOT_POINTS = -1;

/** Base WKB type and whether it has Z and M, from ISO or extended type codes. */
function wkbType(code: number): { base: number; z: boolean; m: boolean } {
  const extZ = (code & 0x80000000) !== 0;
  const extM = (code & 0x40000000) !== 0;
  const iso = code & 0x0fffffff;
  const base = iso % 1000;
  const dims = Math.floor(iso / 1000);
  return { base, z: extZ || dims === 1 || dims === 3, m: extM || dims === 2 || dims === 3 };
}

/**
 * The points of the geometry blob in `bytes[start, end)`, into `out`; returns how many, 0 for an
 * empty geometry, `NOT_POINTS` for another geometry type. `corrupt_file` when it is malformed.
 * `view` is a DataView over the whole of `bytes` (the caller keeps one per page).
 */
export function decodePoints(bytes: Uint8Array, view: DataView, start: number, end: number, out: PointScratch, name: string, feature: number): number {
  const fail = (what: string): never => {
    throw new MachineFileError('corrupt_file', `${name}, feature ${feature}: ${what}; the geometry is corrupt.`);
  };
  if (end - start < 8 || bytes[start] !== 0x47 || bytes[start + 1] !== 0x50) fail('the geometry blob does not start with the GeoPackage "GP" header');
  const flags = bytes[start + 3]!;
  if ((flags & 0x20) !== 0) return NOT_POINTS; // an extension geometry type (GeoPackage "ExtendedGeoPackageBinary")
  const envelope = (flags >> 1) & 0x07;
  if (envelope >= ENVELOPE_BYTES.length) fail(`the geometry header names envelope type ${envelope}`);
  if ((flags & 0x10) !== 0) return 0;
  let at = start + 8 + ENVELOPE_BYTES[envelope]!;

  const header = (): { little: boolean; base: number; z: boolean; m: boolean } => {
    if (at + 5 > end) fail('the WKB is cut off');
    const order = bytes[at]!;
    if (order > 1) fail(`the WKB byte order is ${order}`);
    const little = order === 1;
    const type = wkbType(view.getUint32(at + 1, little));
    at += 5;
    return { little, ...type };
  };

  const top = header();
  if (top.base === 1) {
    const width = 16 + (top.z ? 8 : 0) + (top.m ? 8 : 0);
    if (at + width > end) fail('the point is cut off');
    out.ensure(1);
    out.x[0] = view.getFloat64(at, top.little);
    out.y[0] = view.getFloat64(at + 8, top.little);
    out.z[0] = top.z ? view.getFloat64(at + 16, top.little) : NaN;
    // An empty point is written as NaN coordinates.
    return Number.isNaN(out.x[0]!) && Number.isNaN(out.y[0]!) ? 0 : 1;
  }
  if (top.base !== 4) return NOT_POINTS;
  if (at + 4 > end) fail('the multipoint is cut off');
  const count = view.getUint32(at, top.little);
  at += 4;
  // Each point takes at least 21 bytes: a count beyond what the blob holds is a broken field.
  if (count * 21 > end - at) fail(`the multipoint declares ${count} points in ${end - at} bytes`);
  out.ensure(count);
  let n = 0;
  for (let p = 0; p < count; p++) {
    const point = header();
    if (point.base !== 1) fail('a multipoint member is not a point');
    const width = 16 + (point.z ? 8 : 0) + (point.m ? 8 : 0);
    if (at + width > end) fail('a multipoint member is cut off');
    const x = view.getFloat64(at, point.little);
    const y = view.getFloat64(at + 8, point.little);
    if (!(Number.isNaN(x) && Number.isNaN(y))) {
      out.x[n] = x;
      out.y[n] = y;
      out.z[n] = point.z ? view.getFloat64(at + 16, point.little) : NaN;
      n++;
    }
    at += width;
  }
  return n;
}
