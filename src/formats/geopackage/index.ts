/**
 * @module GeoPackage (.gpkg) point layers as machine logs, read with Furrow's own read-only SQLite
 * file-format reader (no SQLite library: formats/ is pure). A GeoPackage with only polygon or line
 * layers (boundaries, trial plots, guidance lines) is not machine data and is not claimed.
 */
import { MachineFileError, type DetectedDataset, type FileEntry, type MachineFormat, type MachineLog } from '../machine-data.js';
import { BeyondPrefix, EntryBytes, openForDetection } from './entry-bytes.js';
import { openGeoPackageLog, openPages } from './geopackage-log.js';
import { POINT_GEOMETRY_TYPES, readFeatureLayers, type FeatureLayer } from './gpkg-catalog.js';
import { PageReader, parseSqliteHeader, SQLITE_HEADER_LENGTH } from './sqlite-file.js';

const FILE_FORMAT = 'GEOPACKAGE';

const fileName = (path: string): string => path.split('/').pop()!;

/** Claims a .gpkg with a point layer, and one too broken (or too big to check cheaply) to say. */
async function hasPointLayer(entry: FileEntry): Promise<boolean> {
  const name = fileName(entry.path);
  let source;
  try {
    source = await openForDetection(entry, name);
  } catch {
    return true;
  }
  try {
    const header = parseSqliteHeader(await source.read(0, SQLITE_HEADER_LENGTH), source.size, name);
    const layers = await readFeatureLayers(new PageReader(source, header, name));
    return layers.some((l) => POINT_GEOMETRY_TYPES.has(l.geometryType));
  } catch (error) {
    if (error instanceof BeyondPrefix) return true;
    return !(error instanceof MachineFileError && error.code === 'no_machine_data');
  } finally {
    source.close();
  }
}

function describeLayers(layers: readonly FeatureLayer[]): string {
  if (layers.length === 0) return 'no feature layers';
  return layers.map((l) => `${l.table.name} (${l.geometryType})`).join(', ');
}

const geopackage: MachineFormat = {
  id: 'geopackage',
  fileFormat: FILE_FORMAT,
  async detect(files) {
    const found: DetectedDataset[] = [];
    for (const entry of files.entries) {
      if (!entry.path.toLowerCase().endsWith('.gpkg')) continue;
      if (await hasPointLayer(entry)) found.push({ path: entry.path, fileFormat: FILE_FORMAT });
    }
    return found;
  },
  async open(files, dataset, options) {
    const entry = files.entries.find((e) => e.path === dataset.path);
    if (entry === undefined) throw new MachineFileError('missing_file', `${dataset.path}: the .gpkg is not in the file set.`);
    const name = fileName(entry.path);
    const bytes = new EntryBytes(entry, name);
    const opened = await openPages(bytes, name);
    try {
      const layers = await readFeatureLayers(opened.pages);
      const pointLayers = layers.filter((l) => POINT_GEOMETRY_TYPES.has(l.geometryType));
      if (pointLayers.length === 0) {
        throw new MachineFileError('no_machine_data', `${name}: the GeoPackage holds ${describeLayers(layers)}: shapes (boundaries, plots, guidance lines), not logged machine points; expected a POINT or MULTIPOINT layer.`);
      }
      const stem = name.replace(/\.gpkg$/i, '');
      const logs: MachineLog[] = [];
      for (const layer of pointLayers) {
        const logName = layer.table.name === stem || pointLayers.length === 1 ? name : `${name} (${layer.table.name})`;
        logs.push(await openGeoPackageLog(opened.pages, bytes, layer, logName, options));
      }
      return { logs, boundaries: [] };
    } finally {
      opened.close();
    }
  },
};

export default geopackage;
