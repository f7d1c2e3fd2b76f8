/**
 * The corpus's boundary shapefiles (strips-yield, NAD83 UTM 15N) read and reprojected, checked
 * vertex by vertex against GDAL's `ogr2ogr -t_srs EPSG:4326` of the same files.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSetFromDirectory } from '../testing/file-sets.js';
import { readBoundaryFiles } from './index.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const dir = path.resolve(repoRoot, '../shared/corpus/strips-yield/data-raw/boundary_original');
const haveCorpus = fs.existsSync(dir);
let haveGdal = false;
try {
  execFileSync('ogr2ogr', ['--version']);
  haveGdal = true;
} catch {
  // Without GDAL there is nothing to compare with.
}

describe('the corpus boundary shapefiles', () => {
  it.skipIf(!haveCorpus || !haveGdal)('reproject to within a centimetre of ogr2ogr (needs ../shared/corpus and GDAL)', async () => {
    const entries = await readBoundaryFiles(fileSetFromDirectory(dir));
    expect(entries.length).toBe(12);
    for (const entry of entries) {
      const gdal = JSON.parse(execFileSync('ogr2ogr', ['-f', 'GeoJSON', '-t_srs', 'EPSG:4326', '-lco', 'COORDINATE_PRECISION=10', '/vsistdout/', path.join(dir, entry.path)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as {
        features: { geometry: { type: string; coordinates: number[][][] | number[][][][] } }[];
      };
      expect(entry.boundaries.length, entry.path).toBe(gdal.features.length);
      entry.boundaries.forEach((boundary, i) => {
        const ours = (boundary.geometry.coordinates as number[][][][]).flat(2);
        const theirs = gdal.features[i]!.geometry.type === 'Polygon' ? (gdal.features[i]!.geometry.coordinates as number[][][]).flat(1) : (gdal.features[i]!.geometry.coordinates as number[][][][]).flat(2);
        expect(ours.length, `${entry.path} feature ${i + 1}`).toBe(theirs.length);
        // Same vertices (ring direction differs: GDAL keeps the shapefile's, Furrow writes RFC
        // 7946's), each within 1e-7 degrees, about a centimetre.
        const far = ours.filter((p) => !theirs.some((q) => Math.abs(p[0]! - q[0]!) < 1e-7 && Math.abs(p[1]! - q[1]!) < 1e-7));
        expect(far, `${entry.path} feature ${i + 1}`).toEqual([]);
      });
    }
  });
});
