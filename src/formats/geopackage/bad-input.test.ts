import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { MachineFileError, type MachineLog } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import geopackage from './index.js';
import { buildGeoPackage, pagesOf, type LayerSpec } from './testing/build-geopackage.js';

const UTM17N_WKT =
  'PROJCS["WGS 84 / UTM zone 17N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-81],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","32617"]]';

/** An SMS-style as-applied layer of `count` points; the Product text is long so rows spill into overflow pages when asked. */
function appliedLayer(count: number, options: { longProduct?: boolean } = {}): LayerSpec {
  return {
    table: 'applied',
    geometryType: 'POINT',
    srsId: 4326,
    columns: { Product: 'TEXT', Rt_Apd_Ms_: 'REAL', Swth_Wdth_: 'REAL', Speed_mph_: 'REAL', Pass_Num: 'INTEGER', Time: 'INTEGER' },
    rows: Array.from({ length: count }, (_, i) => ({
      geometry: [-82.87 + i * 1e-6, 40.84 + i * 1e-6],
      values: {
        Product: options.longProduct === true ? `NH3 ${'x'.repeat(1500)}` : 'NH3',
        Rt_Apd_Ms_: 150 + (i % 100),
        Swth_Wdth_: 60,
        Speed_mph_: 4.5,
        // Pass numbers cover every SQLite integer width: 1, 2, 3, 4, 6 and 8 bytes, negative too.
        Pass_Num: [0, 1, -7, 300, -40_000, 8_000_000, -3_000_000_000, 2 ** 40, -(2 ** 50)][i % 9]!,
        Time: 1_492_500_000 + i,
      },
    })),
  };
}

async function readLog(bytes: Uint8Array, name = 'f.gpkg'): Promise<{ log: MachineLog; lon: number[]; lat: number[]; time: number[]; values: number[][] }> {
  const files = fileSetFromMemory({ [name]: bytes });
  const datasets = await geopackage.detect(files);
  expect(datasets).toHaveLength(1);
  const { logs } = await geopackage.open(files, datasets[0]!);
  const log = logs[0]!;
  const out = { log, lon: [] as number[], lat: [] as number[], time: [] as number[], values: log.columns.map(() => [] as number[]) };
  for await (const batch of log.points()) {
    for (let i = 0; i < batch.length; i++) {
      out.lon.push(batch.lon[i]!);
      out.lat.push(batch.lat[i]!);
      out.time.push(batch.time[i]!);
      batch.values.forEach((v, c) => out.values[c]!.push(v[i]!));
    }
  }
  return out;
}

async function failure(bytes: Uint8Array): Promise<MachineFileError> {
  const error = await readLog(bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MachineFileError);
  return error as MachineFileError;
}

function setUint32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(at, value, false);
}

describe('GeoPackage reader on synthetic GeoPackages written by SQLite', () => {
  it('reads every row of a multi-level b-tree in order with the values SQLite stored', async () => {
    const layer = appliedLayer(3000);
    const bytes = buildGeoPackage([layer], { pageSize: 512 });
    expect(pagesOf(bytes, 'applied').some((p) => p.pagetype === 'internal')).toBe(true);
    const { log, lon, lat, time, values } = await readLog(bytes);
    expect(log.operationType).toBe('applied');
    expect(lon).toHaveLength(3000);
    expect(lon[2999]).toBeCloseTo(-82.87 + 2999e-6, 12);
    expect(lat[17]).toBeCloseTo(40.84 + 17e-6, 12);
    const rate = log.columns.findIndex((c) => c.property === 'appliedRate');
    expect(values[rate]).toEqual(layer.rows.map((r) => r.values.Rt_Apd_Ms_));
    // TIME columns of epoch seconds become ms; the shapefile reader's epoch rule picks Unix here.
    expect(time[5]).toBe((1_492_500_000 + 5) * 1000);
  });

  it('stitches rows that spill into overflow pages', async () => {
    const { lon, log } = await readLog(buildGeoPackage([appliedLayer(50, { longProduct: true })], { pageSize: 1024 }));
    expect(lon).toHaveLength(50);
    expect(log.products?.[0]?.name).toMatch(/^NH3 x+$/);
  });

  it('reads MultiPoint and PointZ geometries, skipping NULL geometries with a warning', async () => {
    const bytes = buildGeoPackage([
      {
        table: 'multi', geometryType: 'MULTIPOINT', srsId: 4326, z: true, columns: { Rt_Apd_Ct_: 'REAL', Swth_Wdth_: 'REAL' },
        rows: [
          { geometry: [[-93.5, 42.0, 300], [-93.4, 42.1, 301]], values: { Rt_Apd_Ct_: 32_000 } },
          { geometry: null, values: { Rt_Apd_Ct_: 1 } },
          { geometry: [[-93.3, 42.2, 302]], values: { Rt_Apd_Ct_: 33_000 } },
        ],
      },
    ]);
    const { log, lon, values } = await readLog(bytes);
    expect(log.operationType).toBe('planted');
    expect(lon).toEqual([-93.5, -93.4, -93.3]);
    expect(values[log.columns.findIndex((c) => c.property === 'elevation')]).toEqual([300, 301, 302]);
    expect(values[log.columns.findIndex((c) => c.property === 'seedRate')]).toEqual([32_000, 32_000, 33_000]);
    expect(log.warnings.join('\n')).toMatch(/1 features without a position/);
  });

  it('reprojects a UTM 17N layer from its SRS definition as GDAL does', async () => {
    const utm: [number, number][] = [[341634.415, 4522623.753], [342097.465, 4523424.812]];
    const bytes = buildGeoPackage([
      { table: 'utm', geometryType: 'POINT', srsId: 32617, srsDefinition: UTM17N_WKT, columns: { Rt_Apd_Ms_: 'REAL' }, rows: utm.map((g) => ({ geometry: g, values: { Rt_Apd_Ms_: 100 } })) },
    ]);
    const { lon, lat } = await readLog(bytes);
    const expected = utm.map((p) => proj4('+proj=utm +zone=17 +datum=WGS84 +units=m +no_defs', 'EPSG:4326', p));
    expected.forEach(([x, y], i) => {
      expect(lon[i]).toBeCloseTo(x!, 8);
      expect(lat[i]).toBeCloseTo(y!, 8);
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-gpkg-'));
    try {
      fs.writeFileSync(path.join(dir, 'utm.gpkg'), bytes);
      const csv = execFileSync('ogr2ogr', ['-f', 'CSV', '/vsistdout/', path.join(dir, 'utm.gpkg'), '-t_srs', 'EPSG:4326', '-lco', 'GEOMETRY=AS_XY'], { encoding: 'utf8' });
      const rows = csv.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
      rows.forEach(([x, y], i) => {
        expect(lon[i]).toBeCloseTo(x!, 7);
        expect(lat[i]).toBeCloseTo(y!, 7);
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // no GDAL: proj4 check above stands
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not claim a GeoPackage of polygons, and says no_machine_data when asked to open it', async () => {
    const bytes = buildGeoPackage([{ table: 'plots', geometryType: 'POLYGON', srsId: 4326, columns: { NRATE: 'REAL' }, rows: [{ geometry: [0, 0], values: { NRATE: 1 } }] }]);
    const files = fileSetFromMemory({ 'plots.gpkg': bytes });
    expect(await geopackage.detect(files)).toEqual([]);
    await expect(geopackage.open(files, { path: 'plots.gpkg', fileFormat: 'GEOPACKAGE' })).rejects.toMatchObject({ code: 'no_machine_data', message: expect.stringMatching(/plots \(POLYGON\)/) });
  });

  it('fails with corrupt_file when the file is truncated', async () => {
    const bytes = buildGeoPackage([appliedLayer(3000)], { pageSize: 1024 });
    const error = await failure(bytes.slice(0, Math.floor(bytes.length * 0.6)));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/truncated/);
  });

  it('fails with corrupt_file when an interior page points past the end of the database', async () => {
    const bytes = buildGeoPackage([appliedLayer(3000)], { pageSize: 512 });
    const interior = pagesOf(bytes, 'applied').find((p) => p.pagetype === 'internal')!;
    setUint32(bytes, (interior.pageno - 1) * 512 + 8, 999_999);
    const error = await failure(bytes);
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/page 999999, outside the database/);
  });

  it('fails with corrupt_file, not a hang, when the b-tree points back to itself', async () => {
    const bytes = buildGeoPackage([appliedLayer(3000)], { pageSize: 512 });
    const interior = pagesOf(bytes, 'applied').find((p) => p.pagetype === 'internal')!;
    setUint32(bytes, (interior.pageno - 1) * 512 + 8, interior.pageno);
    const error = await failure(bytes);
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/loop/);
  });

  it('fails with corrupt_file, not a hang, when an overflow chain loops', async () => {
    const bytes = buildGeoPackage([appliedLayer(20, { longProduct: true })], { pageSize: 512 });
    const overflow = pagesOf(bytes, 'applied').filter((p) => p.pagetype === 'overflow');
    expect(overflow.length).toBeGreaterThan(2);
    // Every overflow page now continues to the first one: whichever chain is read, it revisits a page.
    for (const p of overflow) setUint32(bytes, (p.pageno - 1) * 512, overflow[0]!.pageno);
    const error = await failure(bytes);
    expect(error.code).toBe('corrupt_file');
  });

  it('fails with corrupt_file for a .gpkg that is not an SQLite database', async () => {
    const error = await failure(new TextEncoder().encode('not a database at all, just text saved as .gpkg'));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/not an SQLite database/);
  });
});
