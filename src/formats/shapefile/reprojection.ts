/**
 * Coordinates to WGS 84 longitude/latitude from the layer's `.prj` (ESRI or OGC WKT, as proj4
 * parses it: geographic NAD83/WGS 84, UTM, State Plane ...). Geographic layers on a datum within a
 * metre of WGS 84 are passed through untouched, which is also what keeps the common case fast.
 */
import { createRequire } from 'node:module';
import type Proj4 from 'proj4';
import { MachineFileError } from '../machine-data.js';

/**
 * proj4 is loaded on first use, not with the module: it takes 60-80 ms of a conversion's start-up
 * (on the critical path of a one-file `furrow convert`), and yield layers are mostly WGS 84 already.
 */
let loaded: typeof Proj4 | undefined;
const proj4 = (): typeof Proj4 => (loaded ??= createRequire(import.meta.url)('proj4') as typeof Proj4);

/**
 * A `.prj` that is plainly geographic WGS 84 (a top-level GEOGCS on the WGS 84 datum, no datum
 * shift, no projection), as yield monitors and GDAL write it: what proj4 would pass through too.
 */
export function isPlainWgs84(wkt: string): boolean {
  const text = wkt.trim();
  if (!text.endsWith(']') || text.split('[').length !== text.split(']').length) return false;
  return /^GEOGCS\[\s*"[^"]*"\s*,\s*DATUM\[\s*"(D_WGS_1984|WGS_1984|WGS 84|WGS84)"/i.test(text) && !/PROJCS|PROJECTION|TOWGS84|COMPD_CS|VERT_CS/i.test(text);
}

export interface Reprojection {
  /** A short description for messages: "WGS 84", "NAD_1983_UTM_Zone_15N". */
  readonly label: string;
  readonly identity: boolean;
  /** Reprojects `x`/`y` in place into lon/lat for the first `length` entries. */
  project(x: Float64Array, y: Float64Array, length: number): void;
}

/** The parts of a parsed proj4 definition that say whether it is WGS 84 already. */
interface ProjSource {
  readonly projName?: string;
  readonly datum?: { readonly datum_type?: number; readonly datum_params?: readonly number[] };
}

const WGS84: Reprojection = { label: 'WGS 84', identity: true, project: () => undefined };

export function reprojectionFromPrj(wkt: string | undefined, name: string): Reprojection {
  if (wkt === undefined || wkt.trim() === '') return WGS84;
  const label = /^\s*\w+\[\s*"([^"]+)"/.exec(wkt)?.[1] ?? 'the .prj coordinate system';
  if (isPlainWgs84(wkt)) return { ...WGS84, label };
  let converter: { forward(point: { x: number; y: number }): { x: number; y: number } };
  let source: ProjSource;
  try {
    converter = proj4()(wkt, 'EPSG:4326');
    source = new (proj4() as unknown as { Proj: new (definition: string) => ProjSource }).Proj(wkt);
  } catch (error) {
    throw new MachineFileError('corrupt_file', `${name}: the .prj could not be read as a coordinate system (${(error as Error).message}); expected ESRI or OGC WKT. Fix or remove the .prj.`, { cause: error });
  }
  const shift = source.datum?.datum_params ?? [0, 0, 0];
  // 3 = grid shift (NADCON and the like): metres apart, so it must go through proj4.
  const nearWgs84 = source.datum?.datum_type !== 3 && shift.slice(0, 3).every((v) => Math.abs(v) < 1) && shift.slice(3).every((v) => v === 0);
  if (source.projName === 'longlat' && nearWgs84) return { ...WGS84, label };
  const point = { x: 0, y: 0 };
  return {
    label,
    identity: false,
    project(x, y, length) {
      for (let i = 0; i < length; i++) {
        point.x = x[i]!;
        point.y = y[i]!;
        let out: { x: number; y: number };
        try {
          out = converter.forward(point);
        } catch {
          out = { x: NaN, y: NaN };
        }
        x[i] = out.x;
        y[i] = out.y;
      }
    },
  };
}
