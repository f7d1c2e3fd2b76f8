import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { fileSetFromMemory } from '../testing/file-sets.js';
import { readBoundaryFiles } from './index.js';
import { writePolygonShapefile } from './testing/polygon-shapefile.js';

const UTM15N = 'PROJCS["NAD_1983_UTM_Zone_15N",GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-93.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
const rect = (x: number, y: number, w: number, h: number) => [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]];

describe('reading boundary files', () => {
  it('reads a polygon shapefile with a hole, reprojects it from its .prj and names it from the NAME column', async () => {
    const { shp, shx, dbf } = writePolygonShapefile([
      { name: 'North 40', rings: [rect(477000, 4598400, 400, 300), rect(477100, 4598500, 50, 50)] },
      { name: 'Creek', rings: [rect(478000, 4598400, 100, 100)] },
    ]);
    const [entry] = await readBoundaryFiles(fileSetFromMemory({ 'fields.shp': shp, 'fields.shx': shx, 'fields.dbf': dbf, 'fields.prj': UTM15N }));
    expect(entry).toMatchObject({ path: 'fields.shp', format: 'SHAPEFILE', errors: [] });
    expect(entry!.boundaries.map((b) => b.name)).toEqual(['North 40', 'Creek']);
    const polygon = (entry!.boundaries[0]!.geometry.coordinates as number[][][][])[0]!;
    expect(polygon).toHaveLength(2);
    const expected = proj4(UTM15N, 'EPSG:4326').forward({ x: 477000, y: 4598400 });
    expect(polygon[0]!.some((p) => Math.abs(p[0]! - expected.x) < 1e-9 && Math.abs(p[1]! - expected.y) < 1e-9)).toBe(true);
  });

  it('reads GeoJSON features and reports the ones that are not polygons', async () => {
    const geojson = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { Name: 'Home' }, geometry: { type: 'Polygon', coordinates: [rect(-93, 41, 0.01, 0.01)] } },
        { type: 'Feature', properties: { name: 'Well' }, geometry: { type: 'Point', coordinates: [-93, 41] } },
      ],
    };
    const [entry] = await readBoundaryFiles(fileSetFromMemory({ 'farm.geojson': JSON.stringify(geojson) }));
    expect(entry!.boundaries).toEqual([{ name: 'Home', geometry: { type: 'Polygon', coordinates: [rect(-93, 41, 0.01, 0.01)] } }]);
    expect(entry!.errors).toEqual(['farm.geojson: feature 2 (Well) is a Point; field boundaries are Polygon or MultiPolygon.']);
  });

  it('reads KML placemarks with outer and inner boundaries, and refuses a DOCTYPE', async () => {
    const coords = (ring: number[][]) => ring.map((p) => `${p[0]},${p[1]},0`).join(' ');
    const kml = `<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Back &amp; forty</name><Polygon><outerBoundaryIs><LinearRing><coordinates>${coords(rect(-93, 41, 0.02, 0.02))}</coordinates></LinearRing></outerBoundaryIs><innerBoundaryIs><LinearRing><coordinates>${coords(rect(-92.99, 41.005, 0.001, 0.001))}</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark></Document></kml>`;
    const [entry] = await readBoundaryFiles(fileSetFromMemory({ 'doc.kml': kml }));
    expect(entry!.boundaries[0]!.name).toBe('Back & forty');
    expect(entry!.boundaries[0]!.geometry).toEqual({ type: 'MultiPolygon', coordinates: [[rect(-93, 41, 0.02, 0.02), rect(-92.99, 41.005, 0.001, 0.001)]] });
    const [refused] = await readBoundaryFiles(fileSetFromMemory({ 'doc.kml': `<!DOCTYPE x [<!ENTITY a "b">]>${kml}` }));
    expect(refused).toMatchObject({ boundaries: [], errors: [expect.stringMatching(/DOCTYPE/)] });
  });

  it('fails a broken file as its own entry and still reads the others', async () => {
    const good = JSON.stringify({ type: 'Polygon', coordinates: [rect(-93, 41, 0.01, 0.01)] });
    const entries = await readBoundaryFiles(fileSetFromMemory({ 'a.geojson': good, 'b.geojson': '{ not json', 'c.shp': new Uint8Array(10) }));
    expect(entries.map((e) => [e.path, e.boundaries.length, e.errors.length])).toEqual([['a.geojson', 1, 0], ['b.geojson', 0, 1], ['c.shp', 0, 1]]);
    expect(entries[2]!.errors[0]).toMatch(/c\.shp.*header needs 100/);
  });

  it('says what it expected when a set holds no boundary file', async () => {
    await expect(readBoundaryFiles(fileSetFromMemory({ 'notes.txt': 'x' }))).rejects.toThrow(/no boundary file.*notes\.txt/);
  });
});
