import { describe, expect, it } from 'vitest';
import type { FileSet, MachineLog } from '../machine-data.js';
import shapefile from './index.js';
import { buildPointShapefile, WGS84_PRJ, type SyntheticField, type SyntheticPoint } from './testing/build-shapefile.js';

// Ag Leader SMS names: the time is the dataset's start plus the running sum of durations, so
// every record's time depends on the records before it, across runs and chunk boundaries.
const FIELDS: SyntheticField[] = [
  { name: 'Yld_Vol_Dr', type: 'N', length: 12, decimals: 3 },
  { name: 'Moisture__', type: 'N', length: 8, decimals: 2 },
  { name: 'Swth_Wdth_', type: 'N', length: 6, decimals: 1 },
  { name: 'Dataset', type: 'C', length: 32 },
  { name: 'Duration_s', type: 'N', length: 6, decimals: 1 },
  { name: 'Product', type: 'C', length: 16 },
];

function points(count: number): SyntheticPoint[] {
  return Array.from({ length: count }, (_, i) => ({
    x: -93.8 + Math.floor(i / 40) * 0.00015,
    y: 41.85 + (i % 40) * 0.000018,
    z: 300 + (i % 7),
    values: [i % 13 === 0 ? '' : 150 + (i % 50) + 0.125, i % 17 === 0 ? '-1.5' : 17 + (i % 5) / 4, 30, i < count / 2 ? '21/10/02-14:00:00 (123)' : '21/10/03-09:30:00 (124)', i % 11 === 0 ? 0 : 1 + (i % 3) / 2, 'CORN'],
    deleted: i % 97 === 5,
  }));
}

/** Turns record `index` of a Point .shp into a null shape (a 12-byte record), keeping the .dbf row. */
function withNullShape(shp: Uint8Array, index: number, recordBytes: number): Uint8Array {
  const at = 100 + index * recordBytes;
  const out = new Uint8Array(shp.length - recordBytes + 12);
  out.set(shp.subarray(0, at));
  const view = new DataView(out.buffer);
  view.setInt32(at, index + 1, false);
  view.setInt32(at + 4, 2, false);
  view.setInt32(at + 8, 0, true);
  out.set(shp.subarray(at + recordBytes), at + 12);
  view.setInt32(24, out.length / 2, false);
  return out;
}

/** The files as a set whose streams hand out `chunk` bytes at a time, as Node Buffers like a file's (often views into a shared pool). */
function chunked(files: Record<string, Uint8Array | string>, chunk: number): FileSet {
  return {
    entries: Object.entries(files).map(([path, content]) => {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      return { path, size: bytes.length, stream: async function* () { for (let i = 0; i < bytes.length; i += chunk) yield Buffer.from(bytes.subarray(i, i + chunk)); } };
    }),
  };
}

async function rows(files: FileSet, batchSize?: number): Promise<{ log: MachineLog; rows: number[][] }> {
  const [found] = await shapefile.detect(files);
  const log = (await shapefile.open(files, found!, batchSize === undefined ? {} : { batchSize })).logs[0]!;
  const out: number[][] = [];
  for await (const batch of log.points()) {
    for (let i = 0; i < batch.length; i++) out.push([batch.lon[i]!, batch.lat[i]!, batch.time[i]!, ...batch.values.map((v) => v[i]!)]);
  }
  return { log, rows: out };
}

describe('the shapefile reader on runs of plain point records', () => {
  it('decodes the same points whether records arrive whole or cut across chunks', async () => {
    for (const pointZ of [false, true]) {
      const built = buildPointShapefile(FIELDS, points(600), { pointZ });
      const recordBytes = pointZ ? 44 : 28;
      // The later record first: the helper counts records of the full size before it.
      const shp = withNullShape(withNullShape(built.shp, 410, recordBytes), 200, recordBytes);
      const files = { 'a.shp': shp, 'a.dbf': built.dbf, 'a.prj': WGS84_PRJ };
      const whole = await rows(chunked(files, 1 << 20));
      expect(whole.rows.length).toBe(600 - 7 - 2); // 7 deleted records, 2 null shapes
      expect(whole.log.warnings).toEqual(expect.arrayContaining([expect.stringContaining('7 records marked deleted'), expect.stringContaining('2 records without a position')]));
      // Chunks shorter than a record: every record is stitched and read one at a time.
      for (const [chunk, batchSize] of [[13, undefined], [997, 64], [4096, 7]] as const) {
        expect((await rows(chunked(files, chunk), batchSize)).rows).toEqual(whole.rows);
      }
    }
  });

  it('carries the running duration across runs, chunks and a change of dataset', async () => {
    const built = buildPointShapefile(FIELDS, points(400));
    const { rows: read } = await rows(chunked({ 'a.shp': built.shp, 'a.dbf': built.dbf }, 1000), 50);
    const kept = points(400).filter((p) => p.deleted !== true);
    let elapsed = 0;
    let dataset = '';
    const expected = kept.map((p) => {
      if (p.values[3] !== dataset) {
        dataset = String(p.values[3]);
        elapsed = 0;
      }
      const duration = Number(p.values[4]);
      if (duration > 0) elapsed += duration;
      const start = dataset.startsWith('21/10/02') ? Date.UTC(2021, 9, 2, 14) : Date.UTC(2021, 9, 3, 9, 30);
      return start + elapsed * 1000;
    });
    expect(read.map((r) => r[2])).toEqual(expected);
  });
});
