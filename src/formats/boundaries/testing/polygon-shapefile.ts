/**
 * Writes a small Polygon shapefile (.shp, .shx, .dbf with a `NAME` column) for tests: each feature
 * is a list of rings given in the file's coordinate system, written clockwise for outer rings as
 * the ESRI specification requires (the caller passes outer rings first, holes after).
 */
export interface PolygonFeature {
  name: string;
  /** Outer ring first, then holes; each ring closed. */
  rings: number[][][];
}

const signed = (ring: number[][]) => ring.slice(0, -1).reduce((s, p, i) => s + p[0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * p[1]!, 0);

export function writePolygonShapefile(features: readonly PolygonFeature[]): { shp: Uint8Array; shx: Uint8Array; dbf: Uint8Array } {
  const records = features.map((f) =>
    f.rings.map((ring, i) => {
      const clockwise = signed(ring) < 0;
      // Outer rings clockwise, holes counter-clockwise (ESRI Shapefile Technical Description, p. 8).
      return (i === 0) === clockwise ? ring : ring.slice().reverse();
    }),
  );
  const contentLengths = records.map((rings) => 44 + rings.length * 4 + rings.reduce((n, r) => n + r.length, 0) * 16);
  const shpLength = 100 + contentLengths.reduce((n, l) => n + 8 + l, 0);
  const shp = new DataView(new ArrayBuffer(shpLength));
  const shx = new DataView(new ArrayBuffer(100 + 8 * records.length));
  const all = records.flat(2);
  const bbox = [Math.min(...all.map((p) => p[0]!)), Math.min(...all.map((p) => p[1]!)), Math.max(...all.map((p) => p[0]!)), Math.max(...all.map((p) => p[1]!))];
  for (const [view, length] of [[shp, shpLength], [shx, 100 + 8 * records.length]] as const) {
    view.setInt32(0, 9994, false);
    view.setInt32(24, length / 2, false);
    view.setInt32(28, 1000, true);
    view.setInt32(32, 5, true);
    bbox.forEach((v, i) => view.setFloat64(36 + i * 8, v, true));
  }
  let at = 100;
  records.forEach((rings, r) => {
    shx.setInt32(100 + r * 8, at / 2, false);
    shx.setInt32(104 + r * 8, contentLengths[r]! / 2, false);
    shp.setInt32(at, r + 1, false);
    shp.setInt32(at + 4, contentLengths[r]! / 2, false);
    const body = at + 8;
    shp.setInt32(body, 5, true);
    const points = rings.flat();
    [Math.min(...points.map((p) => p[0]!)), Math.min(...points.map((p) => p[1]!)), Math.max(...points.map((p) => p[0]!)), Math.max(...points.map((p) => p[1]!))].forEach((v, i) => shp.setFloat64(body + 4 + i * 8, v, true));
    shp.setInt32(body + 36, rings.length, true);
    shp.setInt32(body + 40, points.length, true);
    let start = 0;
    rings.forEach((ring, i) => {
      shp.setInt32(body + 44 + i * 4, start, true);
      start += ring.length;
    });
    points.forEach((p, i) => {
      shp.setFloat64(body + 44 + rings.length * 4 + i * 16, p[0]!, true);
      shp.setFloat64(body + 44 + rings.length * 4 + i * 16 + 8, p[1]!, true);
    });
    at = body + contentLengths[r]!;
  });
  const nameLength = 50;
  const headerLength = 32 + 32 + 1;
  const recordLength = 1 + nameLength;
  const dbf = new Uint8Array(headerLength + recordLength * features.length + 1);
  const dv = new DataView(dbf.buffer);
  dbf[0] = 3;
  dbf.set([125, 1, 1], 1);
  dv.setUint32(4, features.length, true);
  dv.setUint16(8, headerLength, true);
  dv.setUint16(10, recordLength, true);
  dbf.set(new TextEncoder().encode('NAME'), 32);
  dbf[32 + 11] = 'C'.charCodeAt(0);
  dbf[32 + 16] = nameLength;
  dbf[64] = 0x0d;
  features.forEach((f, r) => {
    const start = headerLength + r * recordLength;
    dbf[start] = 0x20;
    const text = new TextEncoder().encode(f.name.padEnd(nameLength, ' ').slice(0, nameLength));
    dbf.set(text, start + 1);
  });
  dbf[dbf.length - 1] = 0x1a;
  return { shp: new Uint8Array(shp.buffer), shx: new Uint8Array(shx.buffer), dbf };
}
