/**
 * A GeoPackage's feature layers: `gpkg_geometry_columns` names each feature table's geometry column,
 * its geometry type and SRS; `gpkg_spatial_ref_sys` gives the SRS definition (WKT) for proj4;
 * `gpkg_contents` says when the layer was last changed (a hint for epoch-second times).
 */
import { MachineFileError } from '../machine-data.js';
import type { PageReader } from './sqlite-file.js';
import { readRows, readSchema, type TableSchema } from './sqlite-schema.js';
import type { SqlValue } from './sqlite-record.js';

export interface SpatialRefSys {
  readonly srsId: number;
  readonly name: string;
  readonly organization: string;
  readonly code: number;
  readonly definition: string;
}

export interface FeatureLayer {
  readonly table: TableSchema;
  readonly geometryColumn: string;
  /** Upper-case: POINT, MULTIPOINT, POLYGON, GEOMETRY ... */
  readonly geometryType: string;
  readonly srs: SpatialRefSys | null;
  readonly srsId: number;
  /** 0 no Z values, 1 mandatory, 2 optional. */
  readonly z: number;
  /** `gpkg_contents.last_change`, ms; null when absent or unreadable. */
  readonly lastChange: number | null;
}

/** Layers declared as points, or as any geometry (whose rows may be points). */
export const POINT_GEOMETRY_TYPES: ReadonlySet<string> = new Set(['POINT', 'MULTIPOINT', 'GEOMETRY']);

const MAX_METADATA_ROWS = 10_000;

const text = (value: SqlValue | undefined): string => (typeof value === 'string' ? value : '');
const int = (value: SqlValue | undefined): number => (typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN);

export async function readFeatureLayers(pages: PageReader): Promise<FeatureLayer[]> {
  const tables = await readSchema(pages);
  const geometryColumns = tables.get('gpkg_geometry_columns');
  if (geometryColumns === undefined) {
    throw new MachineFileError('no_machine_data', `${pages.name}: an SQLite database without gpkg_geometry_columns, so not a GeoPackage with feature layers.`);
  }
  const srsTable = tables.get('gpkg_spatial_ref_sys');
  const contentsTable = tables.get('gpkg_contents');
  const srsRows = srsTable === undefined ? [] : await readRows(pages, srsTable, MAX_METADATA_ROWS);
  const contentsRows = contentsTable === undefined ? [] : await readRows(pages, contentsTable, MAX_METADATA_ROWS);
  const layers: FeatureLayer[] = [];
  for (const row of await readRows(pages, geometryColumns, MAX_METADATA_ROWS)) {
    const tableName = text(row.table_name);
    const table = tables.get(tableName.toLowerCase());
    if (table === undefined) continue;
    const srsId = int(row.srs_id);
    const srsRow = srsRows.find((r) => int(r.srs_id) === srsId);
    const contents = contentsRows.find((r) => text(r.table_name).toLowerCase() === tableName.toLowerCase());
    const lastChange = contents === undefined ? NaN : Date.parse(text(contents.last_change));
    layers.push({
      table,
      geometryColumn: text(row.column_name),
      geometryType: text(row.geometry_type_name).toUpperCase(),
      srsId,
      z: int(row.z),
      srs:
        srsRow === undefined
          ? null
          : {
              srsId,
              name: text(srsRow.srs_name),
              organization: text(srsRow.organization),
              code: int(srsRow.organization_coordsys_id),
              // The WKT2 column of the crs_wkt extension is newer but proj4 reads WKT1 best.
              definition: text(srsRow.definition) !== '' && text(srsRow.definition) !== 'undefined' ? text(srsRow.definition) : text(srsRow.definition_12_063),
            },
      lastChange: Number.isFinite(lastChange) ? lastChange : null,
    });
  }
  return layers;
}
