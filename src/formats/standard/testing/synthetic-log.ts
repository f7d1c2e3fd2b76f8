/**
 * Synthetic machine logs for the standard-output tests and benchmarks: a combine (or planter,
 * sprayer) driving parallel passes over a rectangle, with columns chosen by the test.
 */
import type { MachineLog, OperationType, PointBatch, PropertyColumn } from '../../machine-data.js';

export interface SyntheticLogOptions {
  operationType?: OperationType | null;
  points: number;
  columns: readonly PropertyColumn[];
  /** Value of column `c` at point `i`. */
  value: (column: PropertyColumn, i: number) => number;
  batchSize?: number;
  /** Metres between points along a pass; passes are `passWidth` apart. */
  step?: number;
  passLength?: number;
  passWidth?: number;
  start?: { lon: number; lat: number; time: number };
  extra?: Partial<Omit<MachineLog, 'points' | 'columns'>>;
  /** Throw this after this many points. */
  failAfter?: { points: number; error: Error };
}

const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;

/** Position of point `i` in a serpentine over parallel north-south passes, 1 point per second. */
export function serpentine(i: number, step: number, passLength: number, passWidth: number, start: { lon: number; lat: number }): [number, number] {
  const perPass = Math.round(passLength / step);
  const pass = Math.floor(i / perPass);
  const along = (i % perPass) * step;
  const north = pass % 2 === 0 ? along : passLength - step - along;
  const east = pass * passWidth;
  const mPerDegLon = M_PER_DEG_LAT * Math.cos((start.lat * Math.PI) / 180);
  return [start.lon + east / mPerDegLon, start.lat + north / M_PER_DEG_LAT];
}

export function syntheticLog(options: SyntheticLogOptions): MachineLog {
  const { points, columns, value, batchSize = 10_000, step = 2, passLength = 400, passWidth = 12 } = options;
  const start = options.start ?? { lon: -93.5, lat: 42, time: Date.UTC(2023, 9, 5, 14, 0, 0) };
  return {
    fileFormat: 'SYNTHETIC',
    name: 'synthetic',
    operationType: options.operationType === undefined ? 'harvested' : options.operationType,
    columns,
    warnings: [],
    ...options.extra,
    async *points(): AsyncIterable<PointBatch> {
      for (let from = 0; from < points; from += batchSize) {
        const n = Math.min(batchSize, points - from);
        if (options.failAfter !== undefined && from + n > options.failAfter.points) throw options.failAfter.error;
        const lon = new Float64Array(n);
        const lat = new Float64Array(n);
        const time = new Float64Array(n);
        const values = columns.map(() => new Float64Array(n));
        for (let k = 0; k < n; k++) {
          const i = from + k;
          [lon[k], lat[k]] = serpentine(i, step, passLength, passWidth, start);
          time[k] = start.time + i * 1000;
          columns.forEach((c, j) => (values[j]![k] = value(c, i)));
        }
        yield { length: n, lon, lat, time, values };
      }
    },
  };
}
