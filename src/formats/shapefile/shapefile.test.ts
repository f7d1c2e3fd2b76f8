import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError, type FileSet, type MachineLog } from '../machine-data.js';
import { fileSetFromDirectory } from '../testing/file-sets.js';
import shapefile from './index.js';
import { NO_PRJ_WARNING } from './shapefile-log.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const strips = path.join(corpus, 'strips-yield/data-raw');
const hasCorpus = fs.existsSync(strips);
const hasGdal = (() => {
  try {
    execFileSync('ogr2ogr', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const skipCorpus = !hasCorpus ? 'corpus absent (../shared/corpus)' : false;

async function openLayer(files: FileSet, file: string): Promise<MachineLog> {
  const { logs } = await shapefile.open(files, { path: file, fileFormat: 'SHAPEFILE' });
  return logs[0]!;
}

interface Row {
  lon: number;
  lat: number;
  time: number;
  values: Record<string, number>;
}

async function readAll(log: MachineLog): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of log.points()) {
    for (let i = 0; i < batch.length; i++) {
      rows.push({ lon: batch.lon[i]!, lat: batch.lat[i]!, time: batch.time[i]!, values: Object.fromEntries(log.columns.map((c, k) => [c.property, batch.values[k]![i]!])) });
    }
  }
  return rows;
}

/** GDAL's reading of a layer: one object per feature, with X/Y from the geometry. */
function gdalRows(file: string, extra: string[] = []): Record<string, string>[] {
  const csv = execFileSync('ogr2ogr', ['-f', 'CSV', '/vsistdout/', file, '-lco', 'GEOMETRY=AS_XY', ...extra], { maxBuffer: 1 << 28 }).toString();
  const [header, ...lines] = csv.trim().split(/\r?\n/);
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}

describe.skipIf(skipCorpus)('shapefile reader on the ISU STRIPS yield layers', () => {
  const files = hasCorpus ? fileSetFromDirectory(strips) : { entries: [] };

  it('claims the three yield point layers and none of the twelve boundary polygon layers', async () => {
    const found = await shapefile.detect(files);
    expect(found.map((d) => d.path).sort()).toEqual(['yield_original/2007-basswood.shp', 'yield_original/2012-basswood.shp', 'yield_original/2013-orbweaver-south.shp']);
  });

  it('refuses a boundary polygon layer as no machine data when asked to open it', async () => {
    await expect(openLayer(files, 'boundary_original/basswood1.shp')).rejects.toMatchObject({ code: 'no_machine_data', message: expect.stringContaining('Polygon layer') });
  });

  it('reads the 2007 Ag Leader soybean layer: 2,970 points, Unix time, flow in lb/s, no warning', async () => {
    const log = await openLayer(files, 'yield_original/2007-basswood.shp');
    expect(log.operationType).toBe('harvested');
    expect(log.crop).toEqual(['soybeans']);
    expect(log.warnings).toEqual([]);
    expect(log.columns).toContainEqual({ property: 'wetMassFlow', unit: 'lb/s' });
    expect(log.columns).toContainEqual({ property: 'equipmentWidth', unit: 'in' });
    const rows = await readAll(log);
    expect(rows).toHaveLength(2970);
    expect(new Date(rows[0]!.time).toISOString()).toBe('2007-10-10T12:10:11.000Z');
  });

  it.skipIf(!hasGdal)('gives the same positions, values and times as GDAL for every record of the 2007 layer', async () => {
    const rows = await readAll(await openLayer(files, 'yield_original/2007-basswood.shp'));
    const gdal = gdalRows(path.join(strips, 'yield_original/2007-basswood.shp'));
    expect(rows).toHaveLength(gdal.length);
    rows.forEach((row, i) => {
      const g = gdal[i]!;
      expect(row.lon).toBeCloseTo(Number(g.X), 9);
      expect(row.lat).toBeCloseTo(Number(g.Y), 9);
      expect(row.values.wetMassFlow).toBe(Number(g.FLOW));
      expect(row.values.harvestMoisture).toBe(Number(g.MOISTURE));
      expect(row.values.distance).toBe(Number(g.DISTANCE));
      expect(row.values.elevation).toBe(Number(g.ALTITUDE));
      expect(row.values.dryVolumePerArea).toBe(Number(g.DRY_BU_AC));
      expect(row.time).toBe(Number(g.TIME) * 1000);
    });
  });

  it('reads the 2012 corn layer without a .prj as WGS 84 and says so', async () => {
    const log = await openLayer(files, 'yield_original/2012-basswood.shp');
    expect(log.warnings).toContain(NO_PRJ_WARNING);
    expect(log.crop).toEqual(['corn']);
    const rows = await readAll(log);
    expect(rows).toHaveLength(4240);
    // The load name "L0:12/09/18-19:52:15" dates the harvest; the TIME column agrees as Unix time.
    expect(new Date(rows[0]!.time).toISOString()).toBe('2012-09-18T19:58:05.000Z');
  });

  it.skipIf(!hasGdal)('matches GDAL on every value of the 2013 SMS export, with time from Dataset plus running Duration_s', async () => {
    const log = await openLayer(files, 'yield_original/2013-orbweaver-south.shp');
    expect(log.crop).toEqual(['soybeans']);
    expect(log.columns).toContainEqual({ property: 'dryVolumePerArea', unit: 'bu/ac' });
    expect(log.columns).toContainEqual({ property: 'speed', unit: 'mi/hr' });
    expect(log.columns).toContainEqual({ property: 'equipmentWidth', unit: 'ft' });
    const rows = await readAll(log);
    const gdal = gdalRows(path.join(strips, 'yield_original/2013-orbweaver-south.shp'));
    expect(rows).toHaveLength(858);
    let elapsed = 0;
    const start = Date.UTC(2013, 8, 30, 16, 45, 42);
    rows.forEach((row, i) => {
      const g = gdal[i]!;
      expect(row.lon).toBeCloseTo(Number(g.X), 9);
      expect(row.values.dryVolumePerArea).toBe(Number(g.Yld_Vol_Dr));
      expect(row.values.wetMassFlow).toBe(Number(g.Crop_Flw_M));
      expect(row.values.heading).toBe(Number(g.Track_deg_));
      expect(row.values.workState).toBe(g.Work_State === 'In' ? 1 : 0);
      elapsed += Number(g.Duration_s);
      expect(row.time).toBe(start + elapsed * 1000);
    });
  });

  it.skipIf(!hasGdal)('reprojects a UTM 15N (NAD83) copy of the 2007 layer to the positions GDAL gives', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-shp-'));
    try {
      execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:26915', path.join(dir, 'utm.shp'), path.join(strips, 'yield_original/2007-basswood.shp')], { stdio: ['ignore', 'ignore', 'ignore'] });
      const log = await openLayer(fileSetFromDirectory(dir), 'utm.shp');
      expect(log.warnings).toEqual([]);
      const rows = await readAll(log);
      const gdal = gdalRows(path.join(dir, 'utm.shp'), ['-t_srs', 'EPSG:4326']);
      expect(rows).toHaveLength(2970);
      rows.forEach((row, i) => {
        // 1e-7 degrees is about a centimetre.
        expect(Math.abs(row.lon - Number(gdal[i]!.X))).toBeLessThan(1e-7);
        expect(Math.abs(row.lat - Number(gdal[i]!.Y))).toBeLessThan(1e-7);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('yields the same points whatever the batch size', async () => {
    const whole = await readAll(await openLayer(files, 'yield_original/2013-orbweaver-south.shp'));
    const { logs } = await shapefile.open(files, { path: 'yield_original/2013-orbweaver-south.shp', fileFormat: 'SHAPEFILE' }, { batchSize: 7 });
    const small: Row[] = [];
    for await (const batch of logs[0]!.points()) {
      expect(batch.length).toBeLessThanOrEqual(7);
      for (let i = 0; i < batch.length; i++) small.push({ lon: batch.lon[i]!, lat: batch.lat[i]!, time: batch.time[i]!, values: Object.fromEntries(logs[0]!.columns.map((c, k) => [c.property, batch.values[k]![i]!])) });
    }
    expect(small).toEqual(whole);
  });

  it('throws MachineFileError, not anything else, for a missing .dbf', async () => {
    const only = { entries: files.entries.filter((e) => !e.path.endsWith('2007-basswood.dbf')) };
    const error = await openLayer(only, 'yield_original/2007-basswood.shp').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MachineFileError);
    expect(error).toMatchObject({ code: 'missing_file' });
  });
});
