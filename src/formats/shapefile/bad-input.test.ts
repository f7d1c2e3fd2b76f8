import { describe, expect, it } from 'vitest';
import { MachineFileError, type MachineLog } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import shapefile from './index.js';
import { buildPointShapefile, WGS84_PRJ, type SyntheticField, type SyntheticPoint } from './testing/build-shapefile.js';

const FIELDS: SyntheticField[] = [
  { name: 'Yld_Vol_Dr', type: 'N', length: 12, decimals: 4 },
  { name: 'Moisture__', type: 'N', length: 8, decimals: 2 },
  { name: 'Speed_mph_', type: 'N', length: 8, decimals: 2 },
  { name: 'Dataset', type: 'C', length: 40 },
  { name: 'Duration_s', type: 'N', length: 6, decimals: 1 },
  { name: 'Product', type: 'C', length: 16 },
];

function point(i: number, x = -93.27 + i * 1e-5, y = 41.54): SyntheticPoint {
  return { x, y, values: [150 + i, 15.5, 4.2, '21/10/02-14:00:00 (123)', 1, 'CORN'] };
}

async function open(files: Record<string, Uint8Array | string>): Promise<MachineLog> {
  const set = fileSetFromMemory(files);
  const [found] = await shapefile.detect(set);
  if (found === undefined) throw new Error('not detected');
  return (await shapefile.open(set, found)).logs[0]!;
}

async function drain(log: MachineLog): Promise<{ lon: number[]; lat: number[]; time: number[]; yield: number[] }> {
  const out = { lon: [] as number[], lat: [] as number[], time: [] as number[], yield: [] as number[] };
  for await (const b of log.points()) {
    out.lon.push(...b.lon);
    out.lat.push(...b.lat);
    out.time.push(...b.time);
    out.yield.push(...b.values[0]!);
  }
  return out;
}

const points = Array.from({ length: 50 }, (_, i) => point(i));

describe('shapefile reader on bad input', () => {
  it('reads a well-formed synthetic SMS layer (the fixture itself is sound)', async () => {
    const { shp, shx, dbf } = buildPointShapefile(FIELDS, points);
    const log = await open({ 'a.shp': shp, 'a.shx': shx, 'a.dbf': dbf, 'a.prj': WGS84_PRJ });
    expect(log.crop).toEqual(['corn']);
    const read = await drain(log);
    expect(read.yield).toEqual(points.map((_, i) => 150 + i));
    expect(read.time[0]).toBe(Date.UTC(2021, 9, 2, 14, 0, 1));
    expect(read.time[49]).toBe(Date.UTC(2021, 9, 2, 14, 0, 50));
  });

  it('fails at open when the .shx and .dbf disagree on the record count', async () => {
    const { shp, shx } = buildPointShapefile(FIELDS, points);
    const { dbf } = buildPointShapefile(FIELDS, points.slice(0, 49));
    await expect(open({ 'a.shp': shp, 'a.shx': shx, 'a.dbf': dbf })).rejects.toThrow(/has 50 records \(per its \.shx\) but the \.dbf has 49/);
  });

  it('fails while streaming when the .shp has more records than the .dbf and there is no .shx', async () => {
    const { shp } = buildPointShapefile(FIELDS, points);
    const { dbf } = buildPointShapefile(FIELDS, points.slice(0, 49));
    const log = await open({ 'a.shp': shp, 'a.dbf': dbf });
    await expect(drain(log)).rejects.toThrow(/\.shp has more records than the 49 of the \.dbf/);
  });

  it('fails when the .shp is truncated', async () => {
    const { shp, dbf } = buildPointShapefile(FIELDS, points);
    const truncated = shp.slice(0, shp.length - 30);
    // Keep the header's declared length consistent with the bytes, as a cut-off copy would not.
    await expect(open({ 'a.shp': truncated, 'a.dbf': dbf })).rejects.toMatchObject({ code: 'corrupt_file', message: expect.stringContaining('truncated') });
    new DataView(truncated.buffer).setInt32(24, truncated.length / 2, false);
    await expect(drain(await open({ 'a.shp': truncated, 'a.dbf': dbf }))).rejects.toThrow(/truncated inside record 49 of 50/);
  });

  it('fails when the .dbf header lies about the record length', async () => {
    const { shp, dbf } = buildPointShapefile(FIELDS, points);
    new DataView(dbf.buffer).setUint16(10, 80, true);
    await expect(open({ 'a.shp': shp, 'a.dbf': dbf })).rejects.toThrow(/records are 80 bytes long, but its 6 fields add up to 91/);
  });

  it('fails when the .dbf holds fewer records than its header promises', async () => {
    const { shp, dbf } = buildPointShapefile(FIELDS, points);
    await expect(open({ 'a.shp': shp, 'a.dbf': dbf.slice(0, dbf.length - 200) })).rejects.toThrow(/promises 50 records .* it is truncated/);
  });

  it('drops points with absurd coordinates with a warning, and fails when all are absurd', async () => {
    const some = points.map((p, i) => (i % 10 === 0 ? point(i, 500, 41.54) : i === 3 ? point(i, 0, 0) : p));
    const built = buildPointShapefile(FIELDS, some);
    const log = await open({ 'a.shp': built.shp, 'a.dbf': built.dbf, 'a.prj': WGS84_PRJ });
    const read = await drain(log);
    expect(read.lon).toHaveLength(44);
    expect(log.warnings.join('\n')).toMatch(/6 of 50 points have coordinates that are not plausible in GCS_WGS_1984 \(e\.g\. 500, 41\.54\)/);

    const utm = buildPointShapefile(FIELDS, points.map((_, i) => point(i, 450_000 + i, 4_600_000)));
    const noPrj = await open({ 'a.shp': utm.shp, 'a.dbf': utm.dbf });
    expect(noPrj.warnings).toContain('no .prj: coordinates assumed to be WGS 84');
    const error = await drain(noPrj).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MachineFileError);
    expect((error as Error).message).toMatch(/every point's coordinates are outside the world .* There is no \.prj/);
  });

  it('skips records marked deleted in the .dbf together with their shapes', async () => {
    const marked = points.map((p, i) => (i < 5 ? { ...p, deleted: true } : p));
    const built = buildPointShapefile(FIELDS, marked);
    const log = await open({ 'a.shp': built.shp, 'a.dbf': built.dbf });
    const read = await drain(log);
    expect(read.yield).toEqual(points.slice(5).map((_, i) => 155 + i));
    expect(log.warnings).toContain('5 records marked deleted in the .dbf were skipped');
  });

  it('takes the height of PointZ layers as elevation when no column carries it', async () => {
    const built = buildPointShapefile(FIELDS, points.map((p, i) => ({ ...p, z: 300 + i })), { pointZ: true });
    const log = await open({ 'a.shp': built.shp, 'a.dbf': built.dbf });
    expect(log.columns.at(-1)).toEqual({ property: 'elevation', unit: 'm' });
    const values: number[] = [];
    for await (const b of log.points()) values.push(...b.values.at(-1)!);
    expect(values).toEqual(points.map((_, i) => 300 + i));
  });

  it('reads a .shp that is not a shapefile as a corrupt file', async () => {
    const { dbf } = buildPointShapefile(FIELDS, points);
    await expect(open({ 'a.shp': new TextEncoder().encode(`PK\u0003\u0004 this is a zip, not a shapefile${'.'.repeat(100)}`), 'a.dbf': dbf })).rejects.toThrow(/expected the shapefile file code 9994/);
  });
});
