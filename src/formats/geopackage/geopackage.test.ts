import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError, type MachineLog } from '../machine-data.js';
import { fileSetFromDirectory, fileSetFromMemory } from '../testing/file-sets.js';
import geopackage from './index.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const lesson = path.resolve(repoRoot, '../shared/corpus/data-harvesting-for-agriculture/_episodes_rmd/data');
const hasCorpus = fs.existsSync(path.join(lesson, 'asapplied.gpkg'));
const hasGdal = (() => {
  try {
    execFileSync('ogr2ogr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** GDAL's reading of a layer: one record per feature, X/Y plus every attribute, as text. */
function ogrCsv(file: string): Record<string, string>[] {
  const csv = execFileSync('ogr2ogr', ['-f', 'CSV', '/vsistdout/', file, '-lco', 'GEOMETRY=AS_XY'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const [head, ...lines] = csv.trim().split(/\r?\n/);
  const names = head!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

async function readAll(log: MachineLog) {
  const lon: number[] = [];
  const lat: number[] = [];
  const time: number[] = [];
  const values = log.columns.map(() => [] as number[]);
  for await (const batch of log.points()) {
    for (let i = 0; i < batch.length; i++) {
      lon.push(batch.lon[i]!);
      lat.push(batch.lat[i]!);
      time.push(batch.time[i]!);
      batch.values.forEach((v, c) => values[c]!.push(v[i]!));
    }
  }
  return { lon, lat, time, values };
}

async function openOne(file: string, batchSize?: number): Promise<MachineLog> {
  const files = fileSetFromDirectory(lesson);
  const [dataset] = (await geopackage.detect(files)).filter((d) => d.path === file);
  expect(dataset, `${file} is detected`).toBeDefined();
  const { logs } = await geopackage.open(files, dataset!, batchSize === undefined ? {} : { batchSize });
  expect(logs).toHaveLength(1);
  return logs[0]!;
}

describe.skipIf(!hasCorpus)('GeoPackage reader on the DIFM lesson GeoPackages (../shared/corpus is needed)', () => {
  it('claims the two point layers and none of the polygon and line layers', async () => {
    const detected = await geopackage.detect(fileSetFromDirectory(lesson));
    expect(detected.map((d) => d.path).sort()).toEqual(['asapplied.gpkg', 'asplanted.gpkg']);
  });

  it('reads the NH3 as-applied layer as an application with its 9,913 points and product', async () => {
    const log = await openOne('asapplied.gpkg');
    expect(log.fileFormat).toBe('GEOPACKAGE');
    expect(log.operationType).toBe('applied');
    expect(log.products).toEqual([{ name: 'NH3' }]);
    expect(log.columns).toContainEqual({ property: 'appliedRate', unit: 'lb/ac' });
    const { lon } = await readAll(log);
    expect(lon).toHaveLength(9_913);
  });

  it('reads the corn as-planted layer as a planting with its 6,382 points and variety', async () => {
    const log = await openOne('asplanted.gpkg');
    expect(log.operationType).toBe('planted');
    expect(log.varieties).toEqual(['DKC61-54rib']);
    expect(log.columns).toEqual(expect.arrayContaining([{ property: 'seedRate', unit: 'seeds/ac' }, { property: 'seedRateTarget', unit: 'seeds/ac' }]));
    const { lon } = await readAll(log);
    expect(lon).toHaveLength(6_382);
  });

  it('says the points have no timestamps when Time and Date hold only the day', async () => {
    const log = await openOne('asapplied.gpkg');
    expect(log.warnings.join('\n')).toMatch(/no timestamps.*2017-04-18/);
    const { time } = await readAll(log);
    expect(time.every(Number.isNaN)).toBe(true);
  });

  it('reads the same points whether the entry can seek or is streamed into memory', async () => {
    const memory = fileSetFromMemory({ 'asplanted.gpkg': new Uint8Array(fs.readFileSync(path.join(lesson, 'asplanted.gpkg'))) });
    const [dataset] = await geopackage.detect(memory);
    const fromMemory = await readAll((await geopackage.open(memory, dataset!)).logs[0]!);
    const fromDisk = await readAll(await openOne('asplanted.gpkg'));
    expect(fromMemory).toEqual(fromDisk);
  });

  for (const file of ['boundary.gpkg', 'trial.gpkg', 'abline.gpkg']) {
    it(`answers no_machine_data, naming the layer, when ${file} is opened anyway`, async () => {
      const files = fileSetFromDirectory(lesson);
      const error = await geopackage.open(files, { path: file, fileFormat: 'GEOPACKAGE' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MachineFileError);
      expect((error as MachineFileError).code).toBe('no_machine_data');
      expect((error as MachineFileError).message).toContain(file.replace('.gpkg', ''));
    });
  }

  describe.skipIf(!hasGdal)('cross-checked against GDAL (ogr2ogr -f CSV) row by row', () => {
    const cases: { file: string; columns: Record<string, [string, number]> }[] = [
      {
        file: 'asapplied.gpkg',
        columns: {
          appliedRate: ['Rt_Apd_Ms_', 1], equipmentWidth: ['Swth_Wdth_', 1], distance: ['Distance_f', 1], heading: ['Track_deg_', 1],
          speed: ['Speed_mph_', 1], elevation: ['Elevation_', 1], samplingInterval: ['Duration_s', 1],
        },
      },
      {
        file: 'asplanted.gpkg',
        columns: {
          seedRate: ['Rt_Apd_Ct_', 1], seedRateTarget: ['Tgt_Rate_k', 1000], downForceMargin: ['DF_Margin_', 1], equipmentWidth: ['Swth_Wdth_', 1],
          speed: ['Speed_mph_', 1], heading: ['Track_deg_', 1],
        },
      },
    ];
    for (const c of cases) {
      it(`gives GDAL's coordinates and values for every feature of ${c.file}`, async () => {
        const expected = ogrCsv(path.join(lesson, c.file));
        const log = await openOne(c.file, 777);
        const got = await readAll(log);
        expect(got.lon).toHaveLength(expected.length);
        const mismatches: string[] = [];
        expected.forEach((row, i) => {
          if (Math.abs(got.lon[i]! - Number(row.X)) > 1e-9 || Math.abs(got.lat[i]! - Number(row.Y)) > 1e-9) mismatches.push(`feature ${i}: ${got.lon[i]},${got.lat[i]} vs ${row.X},${row.Y}`);
          for (const [property, [column, scale]] of Object.entries(c.columns)) {
            const index = log.columns.findIndex((col) => col.property === property);
            expect(index, `${property} is a column`).toBeGreaterThanOrEqual(0);
            const want = row[column] === '' ? NaN : Number(row[column]) * scale;
            const have = got.values[index]![i]!;
            if (!(Object.is(want, have) || Math.abs(want - have) <= 1e-9 * Math.max(1, Math.abs(want)))) mismatches.push(`feature ${i} ${column}: ${have} vs ${want}`);
          }
        });
        expect(mismatches.slice(0, 10)).toEqual([]);
      });
    }
  });
});
