import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIGURATION_KEYS } from '../../domain/configurations.js';
import { convertLog } from '../convert.js';
import type { PropertyColumn } from '../machine-data.js';
import { syntheticLog } from '../standard/testing/synthetic-log.js';
import { ROW_GROUP_ROWS } from './geoparquet-writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-geoparquet-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const COLUMNS: PropertyColumn[] = [
  { property: 'wetMassPerArea', unit: 'kg/ha' },
  { property: 'harvestMoisture', unit: 'prcnt' },
  { property: 'equipmentWidth', unit: 'm' },
  { property: 'workState', unit: 'count' },
];

/** Converts a synthetic harvest of `points` points; every 13th has no moisture (a null). */
async function writeParquet(name: string, points: number): Promise<{ file: string; chunks: number; geojsonFeatures: number }> {
  const log = syntheticLog({
    points,
    columns: COLUMNS,
    value: (c, i) => ({ wetMassPerArea: 9000 + (i % 100), harvestMoisture: i % 13 === 0 ? Number.NaN : 18, equipmentWidth: 12, workState: 1 })[c.property as string]!,
    extra: { crop: ['corn'] },
  });
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  let chunks = 0;
  let geojson = 0;
  try {
    const result = await convertLog(log, { unitMeasurement: 'METRIC', cleanupStandardGeojson: false, cleanupRules: CONFIGURATION_KEYS.cleanupRules.default }, {
      standardGeojson: { write: () => void geojson++ },
      standardGeoparquet: { write: (chunk) => { chunks++; fs.writeSync(fd, chunk); } },
    });
    expect(result.status.standardGeoparquet).toEqual({ status: 'processed', message: 'ok' });
    return { file, chunks, geojsonFeatures: result.pointCount };
  } finally {
    fs.closeSync(fd);
  }
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

describe('the GeoParquet writer', () => {
  it('writes one row per point that DuckDB reads, with typed columns and nulls for missing values', async () => {
    const { file, geojsonFeatures } = await writeParquet('small.parquet', 1000);
    const [count] = await query(`select count(*)::INTEGER as n, count(harvestMoisture)::INTEGER as moist from read_parquet('${file}')`);
    expect(count).toEqual({ n: geojsonFeatures, moist: 1000 - Math.ceil(1000 / 13) });
    const described = await query(`describe select * exclude (geometry) from read_parquet('${file}')`);
    const types = Object.fromEntries(described.map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({ timestamp: expect.stringMatching(/^TIMESTAMP/) as string, operationType: 'VARCHAR', crop: 'VARCHAR', recordingStatus: 'VARCHAR', wetMass: 'DOUBLE', harvestMoisture: 'DOUBLE' });
    const [row] = await query(`select timestamp::VARCHAR as t, operationType, crop, recordingStatus, wetMassPerArea from read_parquet('${file}') limit 1 offset 5`);
    expect(row).toEqual({ t: '2023-10-05 14:00:05', operationType: 'harvested', crop: 'corn', recordingStatus: 'On', wetMassPerArea: 9.005 });
  });

  it('stores each point as little-endian WKB and describes it in GeoParquet 1.1 geo metadata', async () => {
    const { file } = await writeParquet('wkb.parquet', 300);
    const [meta] = await query(`select decode(value) as geo from parquet_kv_metadata('${file}') where decode(key) = 'geo'`);
    const geo = JSON.parse(meta!.geo as string) as { version: string; primary_column: string; columns: { geometry: { encoding: string; geometry_types: string[]; bbox: number[]; crs?: unknown } } };
    expect(geo.version).toBe('1.1.0');
    expect(geo.primary_column).toBe('geometry');
    expect(geo.columns.geometry).toMatchObject({ encoding: 'WKB', geometry_types: ['Point'] });
    expect(geo.columns.geometry.crs).toBeUndefined(); // absent = OGC:CRS84
    const [minLon, minLat, maxLon, maxLat] = geo.columns.geometry.bbox;
    expect(minLon).toBeCloseTo(-93.5, 8);
    expect(minLat).toBeCloseTo(42, 8);
    expect(maxLon).toBeGreaterThan(minLon!);
    expect(maxLat).toBeGreaterThan(minLat!);
    // DuckDB reads the geo metadata: the column is a geometry in OGC:CRS84.
    const [described] = await query(`select column_type from (describe select geometry from read_parquet('${file}'))`);
    expect(described!.column_type).toBe("GEOMETRY('OGC:CRS84')");
    // The stored bytes themselves, with DuckDB's GeoParquet conversion off.
    const rows = await query(`set enable_geoparquet_conversion = false; select hex(geometry) as wkb from read_parquet('${file}') limit 2`);
    for (const [k, r] of rows.entries()) {
      const bytes = Buffer.from(r.wkb as string, 'hex');
      expect(bytes).toHaveLength(21);
      expect(bytes.readUInt8(0)).toBe(1);
      expect(bytes.readUInt32LE(1)).toBe(1);
      expect(bytes.readDoubleLE(5)).toBeCloseTo(-93.5, 8);
      expect(bytes.readDoubleLE(13)).toBeCloseTo(42 + (k * 2) / ((6_371_008.8 * Math.PI) / 180), 9);
    }
  });

  it('writes a log larger than a row group in several row groups, handed to the sink as they fill', async () => {
    const points = 2 * ROW_GROUP_ROWS + 123;
    const { file, chunks } = await writeParquet('large.parquet', points);
    expect(chunks).toBeGreaterThanOrEqual(3);
    const groups = await query(`select count(distinct row_group_id)::INTEGER as groups, sum(row_group_num_rows) filter (where column_id = 0)::INTEGER as rows from parquet_metadata('${file}')`);
    expect(groups[0]).toEqual({ groups: 3, rows: points });
    const [sum] = await query(`select count(*)::INTEGER as n, max(wetMassPerArea) as top from read_parquet('${file}')`);
    expect(sum).toEqual({ n: points, top: 9.099 });
  });

  it('writes integers as INT32 (nulls where missing or out of range), constant and mixed On/Off columns that DuckDB reads back', async () => {
    const points = ROW_GROUP_ROWS + 500;
    const log = syntheticLog({
      operationType: 'planted',
      points,
      columns: [
        { property: 'seedRate', unit: 'seeds/ha' },
        { property: 'equipmentWidth', unit: 'm' },
        { property: 'workState', unit: 'count' },
        { property: 'elevation', unit: 'm' },
      ],
      value: (c, i) => ({
        seedRate: i % 101 === 0 ? Number.NaN : i % 997 === 0 ? 5e9 : 80_000 + (i % 7),
        equipmentWidth: 9.144,
        workState: Math.floor(i / 1000) % 3 === 0 ? 0 : 1,
        elevation: i % 500 === 0 ? Number.NaN : 300,
      })[c.property as string]!,
      extra: { crop: ['corn'] },
    });
    const file = path.join(dir, 'planted.parquet');
    const fd = fs.openSync(file, 'w');
    try {
      await convertLog(log, { unitMeasurement: 'METRIC', cleanupStandardGeojson: false, cleanupRules: CONFIGURATION_KEYS.cleanupRules.default }, {
        standardGeoparquet: { write: (chunk) => void fs.writeSync(fd, chunk) },
      });
    } finally {
      fs.closeSync(fd);
    }
    const expected = { n: 0, rates: 0, rateSum: 0, off: 0, elevations: 0 };
    for (let i = 0; i < points; i++) {
      expected.n++;
      if (i % 101 !== 0 && i % 997 !== 0) {
        expected.rates++;
        expected.rateSum += 80_000 + (i % 7);
      }
      if (Math.floor(i / 1000) % 3 === 0) expected.off++;
      if (i % 500 !== 0) expected.elevations++;
    }
    const [row] = await query(`select count(*)::INTEGER as n, count(seedRate)::INTEGER as rates, sum(seedRate)::DOUBLE as rateSum,
      count(*) filter (where recordingStatus = 'Off')::INTEGER as off, count(elevation)::INTEGER as elevations,
      min(equipmentWidth) as w0, max(equipmentWidth) as w1, min(elevation) as e0, max(elevation) as e1 from read_parquet('${file}')`);
    expect(row).toEqual({ ...expected, w0: 9.144, w1: 9.144, e0: 300, e1: 300 });
    const described = await query(`describe select seedRate, recordingStatus from read_parquet('${file}')`);
    expect(Object.fromEntries(described.map((r) => [r.column_name, r.column_type]))).toEqual({ seedRate: 'INTEGER', recordingStatus: 'VARCHAR' });
  });
});
