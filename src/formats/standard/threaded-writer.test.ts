import { describe, expect, it } from 'vitest';
import { CONFIGURATION_KEYS } from '../../domain/configurations.js';
import { convertLog, type StandardOptions } from '../convert.js';
import type { PropertyColumn } from '../machine-data.js';
import { syntheticLog } from './testing/synthetic-log.js';

const OPTIONS: StandardOptions = { unitMeasurement: 'METRIC', cleanupStandardGeojson: true, cleanupRules: CONFIGURATION_KEYS.cleanupRules.default };
const COLUMNS: PropertyColumn[] = [
  { property: 'wetMassPerArea', unit: 'kg/ha' },
  { property: 'harvestMoisture', unit: 'prcnt' },
  { property: 'equipmentWidth', unit: 'm' },
  { property: 'workState', unit: 'count' },
];

/** A harvest with dropped points (moisture 0 fails cleanup, workState 0 is Off) and missing values. */
const log = (failAfter?: { points: number; error: Error }) =>
  syntheticLog({
    points: 50_000,
    columns: COLUMNS,
    value: (c, i) => ({ wetMassPerArea: i % 31 === 0 ? Number.NaN : 9000 + (i % 100), harvestMoisture: i % 53 === 0 ? 0 : 18 + (i % 7) / 10, equipmentWidth: 12, workState: i % 97 < 5 ? 0 : 1 })[c.property as string]!,
    extra: { crop: ['corn'] },
    batchSize: 4096,
    ...(failAfter !== undefined ? { failAfter } : {}),
  });

async function convert(threads: boolean, failAfter?: { points: number; error: Error }) {
  const geojson: Uint8Array[] = [];
  const parquet: Uint8Array[] = [];
  const result = await convertLog(log(failAfter), OPTIONS, {
    standardGeojson: { write: (chunk) => void geojson.push(chunk) },
    standardGeoparquet: { write: async (chunk) => void parquet.push(await Promise.resolve(chunk)) },
  }, { threads });
  return { result, geojson: Buffer.concat(geojson), parquet: Buffer.concat(parquet) };
}

describe('writing the outputs on worker threads', () => {
  it('gives byte for byte the same standardGeojson and GeoParquet, and the same result, as writing in process', async () => {
    const inProcess = await convert(false);
    const threaded = await convert(true);
    expect(threaded.result).toEqual(inProcess.result);
    expect(inProcess.result.droppedCount).toBeGreaterThan(0);
    expect(threaded.geojson.length).toBeGreaterThan(1_000_000);
    expect(threaded.geojson.equals(inProcess.geojson)).toBe(true);
    expect(threaded.parquet.length).toBeGreaterThan(100_000);
    expect(threaded.parquet.equals(inProcess.parquet)).toBe(true);
  });

  it('gives the same GeoParquet and result when the whole standard step runs on threads (GeoParquet only)', async () => {
    const geoparquetOnly = async (threads: boolean) => {
      const parquet: Uint8Array[] = [];
      const result = await convertLog(log(), OPTIONS, { standardGeoparquet: { write: (chunk) => void parquet.push(chunk) } }, { threads });
      return { result, parquet: Buffer.concat(parquet) };
    };
    const inProcess = await geoparquetOnly(false);
    const threaded = await geoparquetOnly(true);
    expect(inProcess.result.droppedCount).toBeGreaterThan(0);
    expect(inProcess.result.summary.geometry?.coordinates.length).toBeGreaterThan(0);
    expect(threaded.result).toEqual(inProcess.result);
    expect(threaded.parquet.length).toBeGreaterThan(100_000);
    expect(threaded.parquet.equals(inProcess.parquet)).toBe(true);
  });

  it('reports a read error in a GeoParquet-only conversion on threads as a failed conversion', async () => {
    const result = await convertLog(log({ points: 20_000, error: new Error('the log broke off') }), OPTIONS, { standardGeoparquet: { write: () => undefined } }, { threads: true });
    expect(result.status.standardGeojson).toEqual({ status: 'failed', message: 'the log broke off' });
  });

  it('reports a read error as a failed conversion and stops its threads', async () => {
    const { result } = await convert(true, { points: 20_000, error: new Error('the log broke off') });
    expect(result.status.standardGeojson).toEqual({ status: 'failed', message: 'the log broke off' });
  });

  it('passes on an error the sink throws', async () => {
    const failing = convertLog(log(), OPTIONS, { standardGeojson: { write: () => Promise.reject(new Error('disk full')) } }, { threads: true });
    await expect(failing).rejects.toThrow('disk full');
  });

  it('passes on an error the GeoParquet sink throws when the standard step runs on threads', async () => {
    const failing = convertLog(log(), OPTIONS, { standardGeoparquet: { write: () => Promise.reject(new Error('disk full')) } }, { threads: true });
    await expect(failing).rejects.toThrow('disk full');
  });
});
