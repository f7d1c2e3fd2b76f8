/**
 * Which fields a stream of machine points fell in, and how much of it: per field the points and
 * their share of all points, and, when the batches carry equipment widths, the swath area (width ×
 * distance since the previous point, the step credited to the field of the point that ends it) and
 * its share. Memory is bounded by the number of fields and the largest batch, never by the points.
 *
 * `intersection` is what `fieldsAttachIntersection` (leaf-api.md §4: "min intersection % to link an
 * operation/file to a field") is compared with: the area share when widths are known, since that is
 * the share of the worked ground in the field, otherwise the point share.
 */
import type { FieldIndex } from './field-index.js';

/** A batch of points; arrays may be reused by the producer once the next batch is asked for. */
export interface AllocationBatch {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly length: number;
  /** Metres, NaN where unknown. */
  readonly equipmentWidth?: Float64Array;
}

export interface FieldAllocation {
  readonly fieldIndex: number;
  readonly fieldId: string;
  readonly points: number;
  /** Points in this field / all points (0–1). */
  readonly share: number;
  /** Swath area in m² credited to this field (0 without widths). */
  readonly swathSquareMetres: number;
  /** Compared with `fieldsAttachIntersection` (0–1): the area share with widths, else the point share. */
  readonly intersection: number;
}

export interface Allocation {
  /** Fields that received at least one point, most points first. */
  readonly fields: readonly FieldAllocation[];
  readonly total: number;
  readonly outside: number;
  readonly outsideSquareMetres: number;
}

export interface AllocateOptions {
  /** Called with each batch and the field index of each of its points (-1 outside); for splitting the data by field as it streams. */
  readonly onBatch?: (batch: AllocationBatch, fieldOfPoint: Int32Array) => void | Promise<void>;
}

/** Steps longer than this are jumps (a GPS gap, a transit), not worked ground; as in the standard coverage. */
export const MAX_STEP_METRES = 50;
const EARTH_RADIUS = 6_371_008.8;
const RAD = Math.PI / 180;

/** Allocates a stream of point batches to the index's fields. */
export async function allocatePoints(index: FieldIndex, batches: AsyncIterable<AllocationBatch>, options: AllocateOptions = {}): Promise<Allocation> {
  const fieldCount = index.fields.length;
  const points = new Float64Array(fieldCount);
  const area = new Float64Array(fieldCount);
  let fieldOfPoint = new Int32Array(0);
  let total = 0;
  let outside = 0;
  let outsideArea = 0;
  let anyWidth = false;
  let prevLon = Number.NaN;
  let prevLat = Number.NaN;
  for await (const batch of batches) {
    const n = batch.length;
    if (fieldOfPoint.length < n) fieldOfPoint = new Int32Array(n);
    index.locateMany(batch.lon, batch.lat, n, fieldOfPoint);
    const width = batch.equipmentWidth;
    for (let i = 0; i < n; i++) {
      const f = fieldOfPoint[i]!;
      if (f >= 0) points[f] = points[f]! + 1;
      else outside++;
      if (width === undefined) continue;
      const lon = batch.lon[i]!;
      const lat = batch.lat[i]!;
      const w = width[i]!;
      const step = stepMetres(prevLon, prevLat, lon, lat);
      if (!Number.isNaN(lon) && !Number.isNaN(lat)) {
        prevLon = lon;
        prevLat = lat;
      }
      if (!(w > 0) || !(step <= MAX_STEP_METRES)) continue;
      anyWidth = true;
      if (f >= 0) area[f] = area[f]! + w * step;
      else outsideArea += w * step;
    }
    total += n;
    if (options.onBatch !== undefined) await options.onBatch(batch, fieldOfPoint.subarray(0, n));
  }
  let allArea = outsideArea;
  for (let f = 0; f < fieldCount; f++) allArea += area[f]!;
  const fields: FieldAllocation[] = [];
  for (let f = 0; f < fieldCount; f++) {
    if (points[f] === 0) continue;
    const share = points[f]! / total;
    fields.push({
      fieldIndex: f,
      fieldId: index.fields[f]!.fieldId,
      points: points[f]!,
      share,
      swathSquareMetres: area[f]!,
      intersection: anyWidth && allArea > 0 ? area[f]! / allArea : share,
    });
  }
  fields.sort((a, b) => b.points - a.points || a.fieldIndex - b.fieldIndex);
  return { fields, total, outside, outsideSquareMetres: outsideArea };
}

/**
 * The fields a file links to under `fieldsAttachIntersection` (a percentage, 0–100, Leaf's
 * default 0.01): those whose intersection reaches it. A field with no point never links.
 */
export function fieldsToAttach(allocation: Allocation, fieldsAttachIntersection: number): FieldAllocation[] {
  return allocation.fields.filter((f) => f.points > 0 && f.intersection * 100 >= fieldsAttachIntersection);
}

/** Equirectangular distance in metres; NaN when either end is unknown. */
function stepMetres(lon0: number, lat0: number, lon1: number, lat1: number): number {
  const dx = (lon1 - lon0) * RAD * Math.cos(((lat0 + lat1) / 2) * RAD);
  const dy = (lat1 - lat0) * RAD;
  return Math.sqrt(dx * dx + dy * dy) * EARTH_RADIUS;
}
