/**
 * @module Point shapefiles from yield monitors and desktop exports (Ag Leader, John Deere, Climate,
 * Trimble, Raven column styles) as machine logs: `.shp` + `.dbf` streamed in lockstep, `.prj`
 * reprojected to WGS 84, `.cpg` for text. Polygon and line layers (boundaries, zones) are not
 * machine data and are not claimed.
 */
import { MachineFileError, type DetectedDataset, type FileEntry, type FileSet, type MachineFormat } from '../machine-data.js';
import { readPrefix } from './byte-cursor.js';
import { openShapefileLog } from './shapefile-log.js';
import { POINT_SHAPE_TYPES, SHP_HEADER_LENGTH } from './shp-header.js';

const SIDE_FILE_LIMIT = 1 << 20;

/** The sibling of `shpPath` with extension `ext` (any case), e.g. `a/b.SHP` → `a/b.dbf`. */
function sibling(files: FileSet, shpPath: string, ext: string): FileEntry | undefined {
  const stem = shpPath.slice(0, -4).toLowerCase();
  return files.entries.find((e) => e.path.toLowerCase() === `${stem}.${ext}`);
}

async function readText(entry: FileEntry | undefined): Promise<string | undefined> {
  if (entry === undefined) return undefined;
  return new TextDecoder().decode(await readPrefix(entry.stream(), SIDE_FILE_LIMIT));
}

/** Claims .shp files whose header says Point/PointZ/PointM/MultiPoint, or which are too broken to say. */
async function isPointLayer(entry: FileEntry): Promise<boolean> {
  const header = await readPrefix(entry.stream(), SHP_HEADER_LENGTH);
  if (header.length < SHP_HEADER_LENGTH) return true;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getInt32(0, false) !== 9994) return true;
  return POINT_SHAPE_TYPES.has(view.getInt32(32, true));
}

const shapefile: MachineFormat = {
  id: 'shapefile',
  fileFormat: 'SHAPEFILE',
  async detect(files) {
    const found: DetectedDataset[] = [];
    for (const entry of files.entries) {
      if (!entry.path.toLowerCase().endsWith('.shp')) continue;
      if (await isPointLayer(entry)) found.push({ path: entry.path, fileFormat: 'SHAPEFILE' });
    }
    return found;
  },
  async open(files, dataset, options) {
    const shp = files.entries.find((e) => e.path === dataset.path);
    if (shp === undefined) throw new MachineFileError('missing_file', `${dataset.path}: the .shp is not in the file set.`);
    const name = shp.path.split('/').pop()!;
    const log = await openShapefileLog(
      {
        shp,
        dbf: sibling(files, shp.path, 'dbf'),
        shx: sibling(files, shp.path, 'shx'),
        prj: await readText(sibling(files, shp.path, 'prj')),
        cpg: await readText(sibling(files, shp.path, 'cpg')),
      },
      name,
      options,
    );
    return { logs: [log], boundaries: [] };
  },
};

export default shapefile;
