/**
 * The 100-byte main file header of a shapefile (ESRI Shapefile Technical Description, 1998):
 * file code 9994 and the length in 16-bit words big-endian, version 1000 and the shape type
 * little-endian. Only point-like layers carry machine data: one record per logged position.
 */
import { MachineFileError } from '../machine-data.js';

export const SHP_HEADER_LENGTH = 100;

export const SHAPE_TYPES: Record<number, string> = {
  0: 'Null', 1: 'Point', 3: 'PolyLine', 5: 'Polygon', 8: 'MultiPoint', 11: 'PointZ', 13: 'PolyLineZ', 15: 'PolygonZ',
  18: 'MultiPointZ', 21: 'PointM', 23: 'PolyLineM', 25: 'PolygonM', 28: 'MultiPointM', 31: 'MultiPatch',
};

/** Shape types whose records are positions: Point, PointZ, PointM and their multi-point forms. */
export const POINT_SHAPE_TYPES: ReadonlySet<number> = new Set([1, 11, 21, 8, 18, 28]);

export interface ShpHeader {
  readonly shapeType: number;
  /** The length the header declares, in bytes. */
  readonly fileLength: number;
  readonly hasZ: boolean;
}

export function parseShpHeader(bytes: Uint8Array, name: string): ShpHeader {
  if (bytes.length < SHP_HEADER_LENGTH) {
    throw new MachineFileError('corrupt_file', `${name}: the .shp is ${bytes.length} bytes long; a shapefile header needs 100. The file is truncated.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const code = view.getInt32(0, false);
  if (code !== 9994) throw new MachineFileError('corrupt_file', `${name}: expected the shapefile file code 9994 at the start of the .shp, found ${code}; this is not a shapefile.`);
  const shapeType = view.getInt32(32, true);
  if (SHAPE_TYPES[shapeType] === undefined) throw new MachineFileError('corrupt_file', `${name}: unknown shape type ${shapeType} in the .shp header; the file is corrupt.`);
  return { shapeType, fileLength: view.getInt32(24, false) * 2, hasZ: shapeType === 11 || shapeType === 18 };
}
