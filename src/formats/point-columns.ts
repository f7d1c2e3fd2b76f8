/**
 * Helpers for readers that decode points into reused columns (shapefile, GeoPackage): dropping the
 * points no receiver could have logged, and handing out a batch view of the filled part.
 */
import type { PointBatch } from './machine-data.js';

/**
 * Keeps the first `count` points that lie on the globe and are not (0, 0), where displays log a
 * fix they never had, moving them (and their time and values) to the front; calls `onDrop` with
 * the index of each point dropped. Returns how many were kept.
 */
export function keepPlausiblePoints(count: number, lon: Float64Array, lat: Float64Array, time: Float64Array, values: readonly Float64Array[], onDrop: (index: number) => void): number {
  let out = 0;
  for (let i = 0; i < count; i++) {
    const x = lon[i]!;
    const y = lat[i]!;
    if (!(x >= -180 && x <= 180 && y >= -90 && y <= 90) || (x === 0 && y === 0)) {
      onDrop(i);
      continue;
    }
    if (out !== i) {
      lon[out] = x;
      lat[out] = y;
      time[out] = time[i]!;
      for (const column of values) column[out] = column[i]!;
    }
    out++;
  }
  return out;
}

/** The first `count` rows of columns sized `size`, without copying. */
export function batchOf(count: number, size: number, lon: Float64Array, lat: Float64Array, time: Float64Array, values: Float64Array[]): PointBatch {
  return count === size
    ? { length: count, lon, lat, time, values }
    : { length: count, lon: lon.subarray(0, count), lat: lat.subarray(0, count), time: time.subarray(0, count), values: values.map((v) => v.subarray(0, count)) };
}
