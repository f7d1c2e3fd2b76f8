/**
 * The reader's fast path: a run of plain point records (the layer's Point, PointZ or PointM type,
 * one content length, not deleted in the .dbf) that lies whole in both files' buffers, decoded one
 * column at a time. A yield export is nothing but such records, so almost every point goes this
 * way; the per-record loop in `shapefile-log.ts` takes whatever does not (null shapes, deleted
 * records, multipoints, a record cut by a chunk boundary, anything corrupt, which it reports).
 * These are small plain functions, not part of the generator, so V8 optimises them early and
 * cheaply and each column's loop stays monomorphic.
 */
import { parseAsciiNumber } from './ascii-number.js';

/** How each mapped .dbf column is decoded; fixed for a layer. */
export interface ColumnPlan {
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  /** 1 for In/On/Yes flags, 0 for numbers. */
  readonly flags: Uint8Array;
  readonly scales: Float64Array;
}

/**
 * How many records from the cursors' positions (at most `max`) are plain points with content
 * length `contentLength`: the layer's shape type, not deleted, whole in both buffers.
 */
export function plainPointRun(
  shp: DataView, shpPos: number, shpEnd: number, dbf: Uint8Array, dbfPos: number, dbfEnd: number,
  recordLength: number, layerType: number, contentLength: number, max: number,
): number {
  const shpStep = 8 + contentLength;
  const words = contentLength >> 1;
  const whole = Math.min(max, Math.floor((shpEnd - shpPos) / shpStep), Math.floor((dbfEnd - dbfPos) / recordLength));
  let k = 0;
  for (; k < whole; k++) {
    const at = shpPos + k * shpStep;
    if (shp.getInt32(at + 4, false) !== words || shp.getInt32(at + 8, true) !== layerType || dbf[dbfPos + k * recordLength] === 0x2a) break;
  }
  return k;
}

/** Positions (and Z, into `z` when given) of `count` plain point records from `shpPos`. */
export function decodePositions(shp: DataView, shpPos: number, contentLength: number, count: number, x: Float64Array, y: Float64Array, z: Float64Array | null, n: number): void {
  const step = 8 + contentLength;
  for (let i = 0, at = shpPos + 12; i < count; i++, at += step) {
    x[n + i] = shp.getFloat64(at, true);
    y[n + i] = shp.getFloat64(at + 8, true);
  }
  if (z === null) return;
  if (contentLength < 28) z.fill(NaN, n, n + count);
  else for (let i = 0, at = shpPos + 28; i < count; i++, at += step) z[n + i] = shp.getFloat64(at, true);
}

/** Column `c` of `count` .dbf records from `dbfPos`, scaled, into `out` from `n`. */
export function decodeColumn(dbf: Uint8Array, dbfPos: number, recordLength: number, count: number, plan: ColumnPlan, c: number, out: Float64Array, n: number): void {
  const length = plan.lengths[c]!;
  const scale = plan.scales[c]!;
  let start = dbfPos + plan.offsets[c]!;
  if (plan.flags[c] === 0) {
    for (let i = 0; i < count; i++, start += recordLength) out[n + i] = parseAsciiNumber(dbf, start, start + length) * scale;
  } else {
    for (let i = 0; i < count; i++, start += recordLength) out[n + i] = parseFlag(dbf, start, start + length) * scale;
  }
}

/** In/On/Yes/True/1 → 1, Out/Off/No/False/0 → 0, else NaN; from bytes, case-insensitive. */
export function parseFlag(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && bytes[i] === 32) i++;
  if (i === end) return NaN;
  const a = bytes[i]! | 0x20;
  const b = i + 1 < end ? bytes[i + 1]! | 0x20 : 0x20;
  if (a === 0x31 || a === 0x79 || a === 0x74) return 1; // 1, y, t
  if (a === 0x30 || a === 0x6e || a === 0x66) return 0; // 0, n, f
  if (a === 0x69) return 1; // in
  if (a === 0x6f) return b === 0x6e ? 1 : 0; // on / out, off
  return NaN;
}
