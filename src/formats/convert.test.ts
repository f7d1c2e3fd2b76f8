import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_KEYS } from '../domain/configurations.js';
import { convertLog, type ConversionResult, type StandardOptions } from './convert.js';
import { MachineFileError, type PropertyColumn } from './machine-data.js';
import { syntheticLog } from './standard/testing/synthetic-log.js';

const DEFAULT_RULES = CONFIGURATION_KEYS.cleanupRules.default;
const METRIC_NO_CLEANUP: StandardOptions = { unitMeasurement: 'METRIC', cleanupStandardGeojson: false, cleanupRules: DEFAULT_RULES };

const HARVEST_COLUMNS: PropertyColumn[] = [
  { property: 'wetMassPerArea', unit: 'kg/ha' },
  { property: 'harvestMoisture', unit: 'prcnt' },
  { property: 'equipmentWidth', unit: 'm' },
  { property: 'workState', unit: 'count' },
  { property: 'elevation', unit: 'm' },
];

interface FeatureCollection {
  type: string;
  features: { type: string; geometry: { type: string; coordinates: number[] }; properties: Record<string, unknown> }[];
}

async function convertToJson(log: ReturnType<typeof syntheticLog>, options: StandardOptions): Promise<{ result: ConversionResult; geojson: FeatureCollection; text: string }> {
  const chunks: Uint8Array[] = [];
  const result = await convertLog(log, options, { standardGeojson: { write: (chunk) => void chunks.push(chunk) } });
  const text = Buffer.concat(chunks).toString('utf8');
  return { result, geojson: JSON.parse(text) as FeatureCollection, text };
}

const harvest = (points: number, value: (c: PropertyColumn, i: number) => number, crop: string[] | null = ['corn']) =>
  syntheticLog({ points, columns: HARVEST_COLUMNS, value, extra: crop === null ? {} : { crop } });

const steady = (c: PropertyColumn) => ({ wetMassPerArea: 10_000, harvestMoisture: 20, equipmentWidth: 12, workState: 1, elevation: 300 })[c.property as string] ?? Number.NaN;

describe('convertLog', () => {
  it('writes a FeatureCollection of Points with Leaf property names, derived harvest values and METRIC units', async () => {
    const { result, geojson } = await convertToJson(harvest(50, steady), METRIC_NO_CLEANUP);
    expect(geojson.type).toBe('FeatureCollection');
    expect(geojson.features).toHaveLength(50);
    const point = geojson.features[10]!;
    expect(point.geometry.type).toBe('Point');
    const p = point.properties;
    expect(p.operationType).toBe('harvested');
    expect(p.crop).toBe('corn');
    expect(p.recordingStatus).toBe('On');
    expect(p.timestamp).toBe(new Date(Date.UTC(2023, 9, 5, 14, 0, 10)).toISOString());
    expect(p.distance as number).toBeCloseTo(2, 3);
    expect(p.area as number).toBeCloseTo(24, 2);
    expect(p.wetMassPerArea as number).toBeCloseTo(10, 6); // t/ha
    expect(p.wetMass as number).toBeCloseTo(0.024, 5); // t: 10 t/ha × 24 m²
    // Corn at 15 % standard moisture: dry matter of 20 %-moisture grain is 80/85 of it.
    expect(p.dryMass as number).toBeCloseTo((0.024 * 80) / 85, 5);
    // 56 lb/bu = 25.401 kg per 0.0352391 m³.
    const density = (56 * 0.45359237) / 0.03523907016688;
    expect(p.wetVolume as number).toBeCloseTo(24 / density, 5);
    expect(p.dryVolumePerArea as number).toBeCloseTo(((10_000 / density) * 80) / 85 / 10_000 * 10_000, 4);
    expect(result.units).toMatchObject({ wetMass: 't', wetMassPerArea: 't/ha', wetVolume: 'm3', dryVolumePerArea: 'm3/ha', area: 'm2', distance: 'm', equipmentWidth: 'm', harvestMoisture: 'prcnt' });
    expect(result.status.standardGeojson).toEqual({ status: 'processed', message: 'ok' });
    expect(result.pointCount).toBe(50);
  });

  it('converts to IMPERIAL units', async () => {
    const { result, geojson } = await convertToJson(harvest(20, steady), { ...METRIC_NO_CLEANUP, unitMeasurement: 'IMPERIAL' });
    const p = geojson.features[5]!.properties;
    expect(result.units).toMatchObject({ wetMassPerArea: 'lb/ac', wetMass: 'lb', wetVolume: 'bu', dryVolumePerArea: 'bu/ac', distance: 'ft', elevation: 'ft', equipmentWidth: 'ft', area: 'm2' });
    expect(p.wetMassPerArea as number).toBeCloseTo(10_000 * 0.8921791, 2);
    expect(p.elevation as number).toBeCloseTo(300 / 0.3048, 4);
    // Dry bushels per acre of 20 %-moisture corn yielding 10 t/ha wet.
    expect(p.dryVolumePerArea as number).toBeCloseTo(((10_000 * 0.8921791) / 56) * (80 / 85), 2);
  });

  it('keeps source units with DEFAULT', async () => {
    const { result } = await convertToJson(harvest(5, steady), { ...METRIC_NO_CLEANUP, unitMeasurement: 'DEFAULT' });
    expect(result.units).toMatchObject({ wetMassPerArea: 'kg/ha', elevation: 'm', equipmentWidth: 'm' });
  });

  it('repeats wet values as dry ones for a crop not in the table', async () => {
    const { geojson } = await convertToJson(harvest(5, steady, ['quinoa']), METRIC_NO_CLEANUP);
    const p = geojson.features[2]!.properties;
    expect(p.dryMass).toBe(p.wetMass);
    expect(p.dryMassPerArea).toBe(p.wetMassPerArea);
    expect(p.wetVolume).toBeUndefined(); // no test weight: no volume
  });

  it('applies the default cleanup rules per point and says what they dropped', async () => {
    const value = (c: PropertyColumn, i: number) =>
      c.property === 'harvestMoisture' ? (i % 10 === 0 ? 0 : 18) : c.property === 'workState' ? (i % 7 === 0 ? 0 : 1) : steady(c);
    const { result, geojson } = await convertToJson(harvest(700, value), { ...METRIC_NO_CLEANUP, cleanupStandardGeojson: true });
    const expected = Array.from({ length: 700 }, (_, i) => i).filter((i) => i % 10 !== 0 && i % 7 !== 0).length;
    expect(geojson.features).toHaveLength(expected);
    expect(result.pointCount).toBe(expected);
    expect(result.droppedCount).toBe(700 - expected);
    expect(geojson.features.every((f) => f.properties.recordingStatus === 'On' && (f.properties.harvestMoisture as number) > 0)).toBe(true);
    expect(result.warnings.join()).toMatch(/cleanup dropped \d+ of 700 points \(.*harvestMoisture/);
  });

  it('applies custom rules with every numeric operator', async () => {
    const value = (c: PropertyColumn, i: number) => (c.property === 'harvestMoisture' ? i : steady(c));
    const rules = { harvestMoisture: [{ operator: 'GTE' as const, value: 10 }, { operator: 'LTE' as const, value: 20 }] };
    const { geojson } = await convertToJson(harvest(40, value), { ...METRIC_NO_CLEANUP, cleanupStandardGeojson: true, cleanupRules: rules });
    expect(geojson.features.map((f) => f.properties.harvestMoisture)).toEqual(Array.from({ length: 11 }, (_, k) => 10 + k));
  });

  it('fails with "no points passed the filter" when cleanup drops everything, as the default crop rule does for an unknown crop', async () => {
    const { result, geojson } = await convertToJson(harvest(30, steady, null), { ...METRIC_NO_CLEANUP, cleanupStandardGeojson: true });
    expect(result.status.standardGeojson).toEqual({ status: 'failed', message: 'no points passed the filter' });
    expect(geojson.features).toHaveLength(0);
    expect(result.warnings.join()).toMatch(/crop: 30/);
  });

  it('fails an unknown operation type without writing', async () => {
    const chunks: Uint8Array[] = [];
    const log = syntheticLog({ operationType: null, points: 10, columns: HARVEST_COLUMNS, value: steady });
    const result = await convertLog(log, METRIC_NO_CLEANUP, { standardGeojson: { write: (c) => void chunks.push(c) } });
    expect(result.status.standardGeojson).toEqual({ status: 'failed', message: 'unsupported operation type: unknown' });
    expect(result.status.summary!.status).toBe('skipped');
    expect(chunks).toHaveLength(0);
  });

  it('fails a log without the operation\'s required properties', async () => {
    const log = syntheticLog({ operationType: 'planted', points: 10, columns: [{ property: 'equipmentWidth', unit: 'm' }], value: () => 12 });
    const result = await convertLog(log, METRIC_NO_CLEANUP, { standardGeojson: { write: () => undefined } });
    expect(result.status.standardGeojson).toEqual({ status: 'failed', message: 'missing required properties: seedRate' });
  });

  it('names the reader\'s own problem when a log without operation type or required columns cannot be read at all', async () => {
    const gone = new MachineFileError('missing_file', 'time log TLG00002.bin is named in TASKDATA.XML but not in the set');
    const untyped = syntheticLog({ operationType: null, points: 10, columns: HARVEST_COLUMNS, value: steady, failAfter: { points: 0, error: gone } });
    expect((await convertLog(untyped, METRIC_NO_CLEANUP, {})).status.standardGeojson).toEqual({ status: 'failed', message: gone.message });
    const bare = syntheticLog({ operationType: 'planted', points: 10, columns: [{ property: 'equipmentWidth', unit: 'm' }], value: () => 12, failAfter: { points: 0, error: gone } });
    expect((await convertLog(bare, METRIC_NO_CLEANUP, {})).status.standardGeojson).toEqual({ status: 'failed', message: gone.message });
  });

  it('reports a reader error as a failed step instead of throwing', async () => {
    const log = syntheticLog({ points: 50_000, columns: HARVEST_COLUMNS, value: steady, failAfter: { points: 20_000, error: new MachineFileError('corrupt_file', 'time log TLG00001.BIN is truncated at byte 123') } });
    const result = await convertLog(log, METRIC_NO_CLEANUP, { standardGeojson: { write: () => undefined } });
    expect(result.status.normalizedGeojson).toEqual({ status: 'failed', message: 'time log TLG00001.BIN is truncated at byte 123' });
    expect(result.status.standardGeojson!.status).toBe('failed');
  });

  it('rethrows an error the sink throws', async () => {
    await expect(convertLog(harvest(100_000, steady), METRIC_NO_CLEANUP, { standardGeojson: { write: () => Promise.reject(new Error('disk full')) } })).rejects.toThrow('disk full');
  });

  it('writes planted seedRate as an integer and totals seeds over the area', async () => {
    const log = syntheticLog({
      operationType: 'planted',
      points: 200,
      columns: [{ property: 'seedRate', unit: 'seeds/ac' }, { property: 'equipmentWidth', unit: 'ft' }],
      value: (c) => (c.property === 'seedRate' ? 34_000.4 : 40),
      passWidth: 12.192,
      extra: { crop: ['corn'], varieties: ['P1197'] },
    });
    const { result, geojson } = await convertToJson(log, { ...METRIC_NO_CLEANUP, unitMeasurement: 'DEFAULT' });
    const p = geojson.features[3]!.properties;
    expect(p.seedRate).toBe(34_000);
    expect(p.variety).toBe('P1197');
    expect(result.units.seedRate).toBe('seeds/ac');
    const total = result.summary.properties.totalPlanted as { value: number; unit: string };
    expect(total.unit).toBe('seeds');
    // Σ rate × area: 199 steps of 2 m × 12.192 m (the first point has no step), in acres.
    const acres = (199 * 2 * 12.192) / 4046.8564224;
    expect(total.value / (34_000 * acres)).toBeCloseTo(1, 2);
  });

  it('summarises statistics, totals, time span and the coverage of a serpentine of passes', async () => {
    const value = (c: PropertyColumn, i: number) => (c.property === 'harvestMoisture' ? 15 + (i % 11) : steady(c));
    // 3 passes of 400 m with a 12 m header, 12 m apart: about 3 × 400 × 12 m² of coverage.
    const { result } = await convertToJson(harvest(600, value), METRIC_NO_CLEANUP);
    const s = result.summary.properties;
    expect(s.harvestMoisture).toEqual({ avg: expect.closeTo(20, 0) as number, min: 15, max: 25, unit: 'prcnt' });
    expect((s.totalArea as { unit: string }).unit).toBe('ha');
    expect(Math.abs((s.totalArea as { value: number }).value - 1.44) / 1.44).toBeLessThan(0.02);
    const wetMass = s.totalWetMass as { value: number; unit: string };
    expect(wetMass.unit).toBe('t');
    // 10 t/ha over the points' areas (steps of 2 m, and two 12 m jumps to the next pass).
    expect(wetMass.value).toBeCloseTo((10 * (597 * 2 * 12 + 2 * 12 * 12)) / 10_000, 3);
    expect(s.startTime).toBe('2023-10-05T14:00:00.000Z');
    expect(s.endTime).toBe(new Date(Date.UTC(2023, 9, 5, 14, 0, 599)).toISOString());
    expect(s.crop).toEqual(['corn']);
    expect(result.summary.geometry!.type).toBe('MultiPolygon');
    expect(result.summary.geometry!.coordinates).toHaveLength(1);
    expect(result.bbox![0]).toBeCloseTo(-93.5, 6);
    expect(result.status.areaAndYield!.status).toBe('processed');
  });

  it('writes applied products with the point\'s rate when the log has one product', async () => {
    const log = syntheticLog({
      operationType: 'applied',
      points: 10,
      columns: [{ property: 'appliedRate', unit: 'gal/ac' }, { property: 'equipmentWidth', unit: 'm' }],
      value: (c) => (c.property === 'appliedRate' ? 15 : 24),
      extra: { products: [{ name: 'AMS', type: 'Component' }] },
    });
    const { result, geojson } = await convertToJson(log, METRIC_NO_CLEANUP);
    const p = geojson.features[1]!.properties;
    expect(result.units.appliedRate).toBe('L/ha');
    expect(p.appliedRate as number).toBeCloseTo((15 * 3.785411784) / 0.40468564224, 4);
    expect(p.products).toEqual([{ name: 'AMS', rate: { value: p.appliedRate } }]);
    expect((result.summary.properties.products as { name: string }[])[0]!.name).toBe('AMS');
  });

  const ogrinfo = (() => {
    try {
      execFileSync('ogrinfo', ['--version']);
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!ogrinfo)('writes GeoJSON that GDAL reads with every feature and typed fields (skipped without ogrinfo)', async () => {
    const { text } = await convertToJson(harvest(1234, steady), METRIC_NO_CLEANUP);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-geojson-'));
    try {
      const file = path.join(dir, 'standard.geojson');
      fs.writeFileSync(file, text);
      const info = execFileSync('ogrinfo', ['-so', '-al', file], { encoding: 'utf8' });
      expect(info).toMatch(/Geometry: Point/);
      expect(info).toMatch(/Feature Count: 1234/);
      expect(info).toMatch(/wetMass: Real/);
      expect(info).toMatch(/timestamp: DateTime/);
      expect(info).toMatch(/crop: String/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
