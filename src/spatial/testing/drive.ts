/** Machine tracks for the spatial tests, in metres east/north of an origin. */

export const ORIGIN = { lon: 10.2, lat: 54.5 };
const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((ORIGIN.lat * Math.PI) / 180);

export function toLonLat(x: number, y: number): [number, number] {
  return [ORIGIN.lon + x / M_PER_DEG_LON, ORIGIN.lat + y / M_PER_DEG_LAT];
}

/** A closed rectangle ring in metres around ORIGIN, as lon/lat. */
export function metreRectangle(minX: number, minY: number, maxX: number, maxY: number): number[][] {
  return [[minX, minY], [maxX, minY], [maxX, maxY], [minX, maxY], [minX, minY]].map(([x, y]) => toLonLat(x!, y!));
}

/** Points every `step` metres along a polyline (metres), as batches of `batchSize`, every point `width` wide. */
export async function* drive(path: [number, number][], width: number, step = 2, batchSize = 1000): AsyncGenerator<{ lon: Float64Array; lat: Float64Array; length: number; equipmentWidth: Float64Array }> {
  // One set of arrays, reused for every batch, as readers do.
  const lon = new Float64Array(batchSize);
  const lat = new Float64Array(batchSize);
  const equipmentWidth = new Float64Array(batchSize).fill(width);
  let length = 0;
  for (let k = 0; k + 1 < path.length; k++) {
    const [ax, ay] = path[k]!;
    const [bx, by] = path[k + 1]!;
    const n = Math.max(1, Math.round(Math.hypot(bx - ax, by - ay) / step));
    for (let i = k === 0 ? 0 : 1; i <= n; i++) {
      [lon[length], lat[length]] = toLonLat(ax + ((bx - ax) * i) / n, ay + ((by - ay) * i) / n);
      if (++length === batchSize) {
        yield { lon, lat, length, equipmentWidth };
        length = 0;
      }
    }
  }
  if (length > 0) yield { lon, lat, length, equipmentWidth };
}

/** Back-and-forth passes along y from `y0` to `y1`, `spacing` apart, starting at x = `x0` for `passes` passes. */
export function passes(x0: number, spacing: number, count: number, y0: number, y1: number): [number, number][] {
  const path: [number, number][] = [];
  for (let k = 0; k < count; k++) {
    const x = x0 + k * spacing;
    path.push(k % 2 === 0 ? [x, y0] : [x, y1], k % 2 === 0 ? [x, y1] : [x, y0]);
  }
  return path;
}
