import { MachineFileError, type FileEntry, type FileSet } from '../machine-data.js';
import { readEntry } from '../isoxml/task-data.js';
import { readGeojsonBoundaries } from './geojson.js';
import { readKmlBoundaries } from './kml.js';
import { readShapefileBoundaries } from './shapefile-polygons.js';

/** One polygon feature of a boundary file; `geometry` may still be invalid (the service checks). */
export interface NamedBoundary {
  name: string | null;
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: number[][][] | number[][][][] };
}

/** What one file of an upload held. */
export interface BoundaryFileEntry {
  /** The file's path inside the upload (the .shp for a shapefile). */
  path: string;
  format: 'SHAPEFILE' | 'GEOJSON' | 'KML';
  boundaries: NamedBoundary[];
  /** Features that could not be read (not a polygon, no coordinates), each named. */
  errors: string[];
}

/** Per file: far more than any field boundary, far less than a machine file. */
export const MAX_BOUNDARY_FILE_BYTES = 64 * 2 ** 20;

const byExtension = (files: FileSet, path: string, ext: string): FileEntry | undefined => {
  const stem = path.slice(0, -4).toLowerCase();
  return files.entries.find((e) => e.path.toLowerCase() === `${stem}.${ext}`);
};

async function text(entry: FileEntry | undefined): Promise<string | undefined> {
  return entry === undefined ? undefined : new TextDecoder().decode(await readEntry(entry, MAX_BOUNDARY_FILE_BYTES));
}

/**
 * Every boundary file of the set: each `.shp` (with its `.dbf`, `.prj`, `.cpg`), `.geojson` /
 * `.json`, and `.kml`. Throws `no_machine_data` when the set holds none. A KMZ is a zip: open it
 * with `openZip` first and pass its entries, as the upload route does for any zip.
 */
export async function readBoundaryFiles(files: FileSet): Promise<BoundaryFileEntry[]> {
  const entries: BoundaryFileEntry[] = [];
  for (const entry of files.entries) {
    const lower = entry.path.toLowerCase();
    if (lower.split('/').some((part) => part.startsWith('__macosx') || part.startsWith('._'))) continue;
    const format = lower.endsWith('.shp') ? 'SHAPEFILE' : lower.endsWith('.geojson') || lower.endsWith('.json') ? 'GEOJSON' : lower.endsWith('.kml') ? 'KML' : null;
    if (format === null) continue;
    try {
      entries.push({ path: entry.path, format, ...(await readOne(files, entry, format)) });
    } catch (error) {
      // One broken file is that file's entry failing, not the whole upload.
      if (!(error instanceof MachineFileError)) throw error;
      entries.push({ path: entry.path, format, boundaries: [], errors: [error.message] });
    }
  }
  if (entries.length === 0) {
    throw new MachineFileError('no_machine_data', `The upload holds no boundary file; expected a zipped shapefile (.shp with its .dbf and .shx, plus .prj), a .geojson or a .kml/.kmz. Found: ${files.entries.map((e) => e.path).slice(0, 10).join(', ') || 'nothing'}.`);
  }
  return entries;
}

async function readOne(files: FileSet, entry: FileEntry, format: BoundaryFileEntry['format']): Promise<{ boundaries: NamedBoundary[]; errors: string[] }> {
  if (format === 'GEOJSON') return readGeojsonBoundaries((await text(entry)) ?? '', entry.path);
  if (format === 'KML') return readKmlBoundaries((await text(entry)) ?? '', entry.path);
  const dbf = byExtension(files, entry.path, 'dbf');
  return readShapefileBoundaries({
    name: entry.path,
    shp: await readEntry(entry, MAX_BOUNDARY_FILE_BYTES),
    dbf: dbf === undefined ? undefined : await readEntry(dbf, MAX_BOUNDARY_FILE_BYTES),
    prj: await text(byExtension(files, entry.path, 'prj')),
    cpg: await text(byExtension(files, entry.path, 'cpg')),
  });
}
