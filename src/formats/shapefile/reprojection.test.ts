import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { isPlainWgs84, reprojectionFromPrj } from './reprojection.js';
import { WGS84_PRJ } from './testing/build-shapefile.js';

const OGC_WGS84 = 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]';
const NAD83 = 'GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';
const UTM_15N = 'PROJCS["WGS_1984_UTM_Zone_15N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-93.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
const SHIFTED = 'GEOGCS["WGS 84 shifted",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[120,-30,40,0,0,0,0]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]';

/** What proj4 itself says: geographic, on a datum within a metre of WGS 84 (the reader's rule). */
function proj4SaysWgs84(wkt: string): boolean {
  const source = new (proj4 as unknown as { Proj: new (definition: string) => { projName?: string; datum?: { datum_type?: number; datum_params?: number[] } } }).Proj(wkt);
  const shift = source.datum?.datum_params ?? [0, 0, 0];
  return source.projName === 'longlat' && source.datum?.datum_type !== 3 && shift.slice(0, 3).every((v) => Math.abs(v) < 1) && shift.slice(3).every((v) => v === 0);
}

describe('reading a .prj', () => {
  it('recognises plain WGS 84 without proj4 only where proj4 would pass the coordinates through too', () => {
    for (const wkt of [WGS84_PRJ, OGC_WGS84, `  ${WGS84_PRJ}\n`]) {
      expect(isPlainWgs84(wkt)).toBe(true);
      expect(proj4SaysWgs84(wkt)).toBe(true);
    }
    for (const wkt of [UTM_15N, SHIFTED]) {
      expect(isPlainWgs84(wkt)).toBe(false);
      expect(proj4SaysWgs84(wkt)).toBe(false);
    }
    // NAD83 is within a metre of WGS 84 for proj4, but not by name: it takes the proj4 path.
    expect(isPlainWgs84(NAD83)).toBe(false);
    expect(reprojectionFromPrj(NAD83, 'a.shp').identity).toBe(proj4SaysWgs84(NAD83));
  });

  it('labels a WGS 84 layer by its .prj name and leaves its coordinates alone', () => {
    const reprojection = reprojectionFromPrj(WGS84_PRJ, 'a.shp');
    expect(reprojection).toMatchObject({ identity: true, label: 'GCS_WGS_1984' });
  });

  it('still reprojects a projected layer and still refuses a broken .prj that starts like WGS 84', () => {
    const utm = reprojectionFromPrj(UTM_15N, 'a.shp');
    const x = Float64Array.of(500_000);
    const y = Float64Array.of(4_650_000);
    utm.project(x, y, 1);
    expect(utm.identity).toBe(false);
    expect(x[0]).toBeCloseTo(-93, 6);
    expect(y[0]).toBeGreaterThan(41.9);
    expect(y[0]).toBeLessThan(42.1);
    expect(() => reprojectionFromPrj(WGS84_PRJ.slice(0, 60), 'a.shp')).toThrow(MachineFileError);
  });
});
