import { describe, expect, it } from 'vitest';
import { defaultConfiguration, type ConfigurationValues } from '../domain/index.js';
import { convertLog, type OutputSink } from '../formats/convert.js';
import type { MachineLog } from '../formats/machine-data.js';
import { buildOperationOutputs, clipLog, filteredRules } from './field-operations-build.js';

const LON = 10.2;
const LAT = 54.58;
const STEP = 0.00002;

/**
 * A combine pass northwards, one point a second: 100 points at 2 m/s and 9 t/ha, except points
 * 20-29 at 0.2 m/s and points 50, 60, 70 yielding 90 t/ha.
 */
function pass(): MachineLog {
  const n = 100;
  const lon = new Float64Array(n).fill(LON);
  const lat = Float64Array.from({ length: n }, (_, i) => LAT + i * STEP);
  const time = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 8, 20, 14) + i * 1000);
  const speed = Float64Array.from({ length: n }, (_, i) => (i >= 20 && i < 30 ? 0.2 : 2));
  const yieldKgHa = Float64Array.from({ length: n }, (_, i) => ([50, 60, 70].includes(i) ? 90_000 : 9_000 + (i % 7) * 50));
  const width = new Float64Array(n).fill(9);
  const moisture = new Float64Array(n).fill(18);
  return {
    fileFormat: 'TEST',
    name: 'pass',
    operationType: 'harvested',
    crop: ['corn'],
    columns: [
      { property: 'speed', unit: 'm/s' },
      { property: 'wetMassPerArea', unit: 'kg/ha' },
      { property: 'equipmentWidth', unit: 'm' },
      { property: 'harvestMoisture', unit: 'prcnt' },
    ],
    warnings: [],
    async *points() {
      // Two batches, to cross a batch boundary.
      for (const [from, to] of [[0, 45], [45, n]] as const) {
        yield { length: to - from, lon: lon.slice(from, to), lat: lat.slice(from, to), time: time.slice(from, to), values: [speed.slice(from, to), yieldKgHa.slice(from, to), width.slice(from, to), moisture.slice(from, to)] };
      }
    },
  };
}

const square = (west: number, south: number, east: number, north: number) => ({
  type: 'MultiPolygon' as const,
  coordinates: [[[[west, south], [east, south], [east, north], [west, north], [west, south]]]],
});

function collector(): OutputSink & { text(): string } {
  const chunks: Uint8Array[] = [];
  return { write: (chunk) => void chunks.push(chunk.slice()), text: () => Buffer.concat(chunks).toString('utf8') };
}

const configuration = (overrides: Partial<ConfigurationValues> = {}): ConfigurationValues => ({ ...defaultConfiguration(), cleanupStandardGeojson: false, cleanupRules: {}, ...overrides });

describe('building a field operation from its files\' logs', () => {
  it('clips a log to the points a predicate keeps, across batches', async () => {
    const clipped = clipLog(pass(), (_lon, lat) => lat >= LAT + 40 * STEP - 1e-9);
    let count = 0;
    for await (const batch of clipped.points()) count += batch.length;
    expect(count).toBe(60);
  });

  it('drops points slower than 0.5 m/s and harvest yields beyond the outlier limit from filteredGeojson', async () => {
    const rules = await filteredRules(pass(), configuration());
    expect(rules).toMatchObject({ speed: [{ operator: 'GTE', value: 0.5 }] });
    const bounds = (rules as Record<string, { operator: string; value: number }[]>).wetMassPerArea!;
    expect(bounds.find((r) => r.operator === 'LTE')!.value).toBeLessThan(90_000);
    expect(bounds.find((r) => r.operator === 'GTE')!.value).toBeLessThan(9_000);

    const field = { fieldId: 'f', geometry: square(LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.003), areaSquareMetres: 10_000 };
    const standard = collector();
    const filtered = collector();
    const result = await buildOperationOutputs({ name: 'op', logs: [pass()], fields: [field], allFields: [field], configuration: configuration(), sinks: { standardGeojson: standard, filteredGeojson: filtered }, convertLog });
    expect(JSON.parse(standard.text()).features).toHaveLength(100);
    expect(JSON.parse(filtered.text()).features).toHaveLength(100 - 10 - 3);
    expect(result.filtered?.pointCount).toBe(87);
  });

  it('keeps outliers when operationsRemoveOutliers is off, and judges outliers by operationsOutliersLimit', async () => {
    const off = await filteredRules(pass(), configuration({ operationsRemoveOutliers: false }));
    expect(Object.keys(off)).toEqual(['speed']);
    const wide = await filteredRules(pass(), configuration({ operationsOutliersLimit: 100 }));
    expect((wide as Record<string, { operator: string; value: number }[]>).wetMassPerArea!.find((r) => r.operator === 'LTE')!.value).toBeGreaterThan(90_000);
  });

  it('gives each field of a multi-field operation the coverage of its own part of the swaths', async () => {
    const south = { fieldId: 'south', geometry: square(LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 49.5 * STEP), areaSquareMetres: 0 };
    const north = { fieldId: 'north', geometry: square(LON - 0.001, LAT + 49.5 * STEP, LON + 0.001, LAT + 0.003), areaSquareMetres: 0 };
    // Equal areas, so coverage is proportional to the swath length inside each.
    const area = 20_000;
    const fields = [{ ...south, areaSquareMetres: area }, { ...north, areaSquareMetres: area }];
    const result = await buildOperationOutputs({ name: 'op', logs: [pass()], fields, allFields: fields, configuration: configuration({ operationsFilteredGeojson: false }), sinks: { standardGeojson: collector() }, convertLog });
    expect(result.coverage.south).toBeGreaterThan(0);
    expect(result.coverage.north).toBeGreaterThan(0);
    expect(Math.abs(result.coverage.south! - result.coverage.north!)).toBeLessThan(result.coverage.south! * 0.2);
    expect(result.filtered).toBeUndefined();
  });
});
