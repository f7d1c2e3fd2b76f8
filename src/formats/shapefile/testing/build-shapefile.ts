/**
 * Small shapefiles built in memory for tests: point records and a dBASE III table of N and C
 * columns, written per the ESRI technical description, so bad-input tests can break one thing at
 * a time without committing corpus files.
 */
export interface SyntheticField {
  readonly name: string;
  readonly type: 'N' | 'C' | 'D';
  readonly length: number;
  readonly decimals?: number;
}

export interface SyntheticPoint {
  readonly x: number;
  readonly y: number;
  readonly z?: number;
  readonly values: readonly (string | number)[];
  readonly deleted?: boolean;
}

export interface SyntheticShapefile {
  shp: Uint8Array;
  shx: Uint8Array;
  dbf: Uint8Array;
}

export function buildPointShapefile(fields: readonly SyntheticField[], points: readonly SyntheticPoint[], options: { pointZ?: boolean } = {}): SyntheticShapefile {
  const shapeType = options.pointZ === true ? 11 : 1;
  const contentLength = shapeType === 11 ? 36 : 20;
  const shp = new Uint8Array(100 + points.length * (8 + contentLength));
  const shx = new Uint8Array(100 + points.length * 8);
  for (const [bytes, length] of [[shp, shp.length], [shx, shx.length]] as const) {
    const view = new DataView(bytes.buffer);
    view.setInt32(0, 9994, false);
    view.setInt32(24, length / 2, false);
    view.setInt32(28, 1000, true);
    view.setInt32(32, shapeType, true);
  }
  const shpView = new DataView(shp.buffer);
  const shxView = new DataView(shx.buffer);
  points.forEach((point, i) => {
    const at = 100 + i * (8 + contentLength);
    shpView.setInt32(at, i + 1, false);
    shpView.setInt32(at + 4, contentLength / 2, false);
    shpView.setInt32(at + 8, shapeType, true);
    shpView.setFloat64(at + 12, point.x, true);
    shpView.setFloat64(at + 20, point.y, true);
    if (shapeType === 11) {
      shpView.setFloat64(at + 28, point.z ?? 0, true);
      shpView.setFloat64(at + 36, 0, true);
    }
    shxView.setInt32(100 + i * 8, at / 2, false);
    shxView.setInt32(104 + i * 8, contentLength / 2, false);
  });

  const headerLength = 32 + 32 * fields.length + 1;
  const recordLength = 1 + fields.reduce((sum, f) => sum + f.length, 0);
  const dbf = new Uint8Array(headerLength + recordLength * points.length + 1).fill(0x20, headerLength);
  const dbfView = new DataView(dbf.buffer);
  dbf[0] = 3;
  dbf.set([124, 1, 1], 1);
  dbfView.setUint32(4, points.length, true);
  dbfView.setUint16(8, headerLength, true);
  dbfView.setUint16(10, recordLength, true);
  dbf.fill(0, 12, 32);
  fields.forEach((field, i) => {
    const at = 32 + 32 * i;
    dbf.fill(0, at, at + 32);
    dbf.set(new TextEncoder().encode(field.name.slice(0, 10)), at);
    dbf[at + 11] = field.type.charCodeAt(0);
    dbf[at + 16] = field.length;
    dbf[at + 17] = field.decimals ?? 0;
  });
  dbf[headerLength - 1] = 0x0d;
  points.forEach((point, i) => {
    let at = headerLength + i * recordLength;
    dbf[at++] = point.deleted === true ? 0x2a : 0x20;
    fields.forEach((field, k) => {
      const raw = point.values[k] ?? '';
      const text = typeof raw === 'number' ? raw.toFixed(field.decimals ?? 0) : raw;
      const bytes = new TextEncoder().encode(text).subarray(0, field.length);
      // Numbers are right-aligned, text left-aligned, as dBASE writes them.
      dbf.set(bytes, field.type === 'N' ? at + field.length - bytes.length : at);
      at += field.length;
    });
  });
  dbf[dbf.length - 1] = 0x1a;
  return { shp, shx, dbf };
}

export const WGS84_PRJ = 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';
