/**
 * Synthetic GeoPackages for tests, written by SQLite itself (better-sqlite3, in memory, then
 * `serialize()`): the reader under test is checked against the real file format, not against
 * bytes written by code that shares its assumptions. Tests only; formats/ itself has no SQLite.
 */
import Database from 'better-sqlite3';

export interface PointRow {
  /** [x, y] or [x, y, z]; an array of those for a MultiPoint; null for a NULL geometry. */
  readonly geometry: readonly number[] | readonly (readonly number[])[] | null;
  readonly values: Record<string, number | string | null>;
}

export interface LayerSpec {
  readonly table: string;
  readonly geometryType: 'POINT' | 'MULTIPOINT' | 'POLYGON';
  readonly srsId: number;
  /** WKT for srs_ids other than 4326, 0 and -1. */
  readonly srsDefinition?: string;
  readonly z?: boolean;
  /** Column name → declared type, in order. */
  readonly columns: Record<string, string>;
  readonly rows: readonly PointRow[];
}

const WGS84_WKT =
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]';

/** A GeoPackage geometry blob: "GP" header (little-endian, no envelope) and little-endian ISO WKB. */
export function gpkgPointBlob(geometry: readonly number[] | readonly (readonly number[])[], srsId: number): Buffer {
  const points = typeof geometry[0] === 'number' ? [geometry as readonly number[]] : (geometry as readonly (readonly number[])[]);
  const multi = typeof geometry[0] !== 'number';
  const z = points[0]!.length === 3;
  const pointBytes = 5 + (z ? 24 : 16);
  const wkbLength = multi ? 9 + points.length * pointBytes : pointBytes;
  const out = Buffer.alloc(8 + wkbLength);
  out.write('GP', 0, 'latin1');
  out[2] = 0;
  out[3] = 0x01;
  out.writeInt32LE(srsId, 4);
  let at = 8;
  const writePoint = (p: readonly number[]) => {
    out[at] = 1;
    out.writeUInt32LE(z ? 1001 : 1, at + 1);
    out.writeDoubleLE(p[0]!, at + 5);
    out.writeDoubleLE(p[1]!, at + 13);
    if (z) out.writeDoubleLE(p[2]!, at + 21);
    at += pointBytes;
  };
  if (multi) {
    out[at] = 1;
    out.writeUInt32LE(z ? 1004 : 4, at + 1);
    out.writeUInt32LE(points.length, at + 5);
    at += 9;
  }
  for (const p of points) writePoint(p);
  return out;
}

/** A small square polygon blob, for layers that are not machine data. */
function gpkgPolygonBlob(srsId: number): Buffer {
  const ring = [[0, 0], [1, 0], [1, 1], [0, 0]];
  const out = Buffer.alloc(8 + 9 + 4 + ring.length * 16);
  out.write('GP', 0, 'latin1');
  out[3] = 0x01;
  out.writeInt32LE(srsId, 4);
  out[8] = 1;
  out.writeUInt32LE(3, 9);
  out.writeUInt32LE(1, 13);
  out.writeUInt32LE(ring.length, 17);
  ring.forEach((p, i) => {
    out.writeDoubleLE(p[0]!, 21 + 16 * i);
    out.writeDoubleLE(p[1]!, 29 + 16 * i);
  });
  return out;
}

/** A GeoPackage with the given layers, as the bytes of its file. */
export function buildGeoPackage(layers: readonly LayerSpec[], options: { pageSize?: number } = {}): Uint8Array {
  const db = new Database(':memory:');
  try {
    db.pragma(`page_size = ${options.pageSize ?? 4096}`);
    db.pragma('application_id = 1196444487');
    db.pragma('user_version = 10200');
    db.exec(`
      CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
      CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
      CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
    `);
    const srs = db.prepare('INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)');
    srs.run('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', null);
    srs.run('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', null);
    srs.run('WGS 84 geodetic', 4326, 'EPSG', 4326, WGS84_WKT, null);
    for (const layer of layers) {
      if (layer.srsDefinition !== undefined) srs.run(`srs ${layer.srsId}`, layer.srsId, 'EPSG', layer.srsId, layer.srsDefinition, null);
      const columns = Object.entries(layer.columns).map(([name, type]) => `"${name}" ${type}`);
      db.exec(`CREATE TABLE "${layer.table}" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "geom" ${layer.geometryType}${columns.map((c) => `, ${c}`).join('')})`);
      db.prepare("INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change, srs_id) VALUES (?, 'features', ?, '2020-02-15T19:48:02.741Z', ?)").run(layer.table, layer.table, layer.srsId);
      db.prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, ?, 0)').run(layer.table, 'geom', layer.geometryType, layer.srsId, layer.z === true ? 1 : 0);
      const names = Object.keys(layer.columns);
      const insert = db.prepare(`INSERT INTO "${layer.table}" (geom${names.map((n) => `, "${n}"`).join('')}) VALUES (?${names.map(() => ', ?').join('')})`);
      db.transaction(() => {
        for (const row of layer.rows) {
          const blob = row.geometry === null ? null : layer.geometryType === 'POLYGON' ? gpkgPolygonBlob(layer.srsId) : gpkgPointBlob(row.geometry, layer.srsId);
          insert.run(blob, ...names.map((n) => row.values[n] ?? null));
        }
      })();
    }
    return new Uint8Array(db.serialize());
  } finally {
    db.close();
  }
}

/** Page numbers of a table's b-tree by kind, from SQLite's dbstat, for tests that corrupt one. */
export function pagesOf(bytes: Uint8Array, table: string): { pageno: number; pagetype: string }[] {
  const db = new Database(Buffer.from(bytes));
  try {
    return db.prepare('SELECT pageno, pagetype FROM dbstat WHERE name = ? ORDER BY pageno').all(table) as { pageno: number; pagetype: string }[];
  } finally {
    db.close();
  }
}
