/**
 * `locate` against a brute-force reference (turf's point-in-polygon on every field, then the overlap
 * rule) on the real partfield boundaries of ../shared/corpus: the 21 of the isoxml-dotnet forage
 * harvest (neighbouring fields) and the 13 of CodingData/Partfields (holes, the equator, the null
 * meridian, both hemispheres).
 */
import fs from 'node:fs';
import path from 'node:path';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { describe, expect, it } from 'vitest';
import isoxml from '../formats/isoxml/index.js';
import { fileSetFromDirectory } from '../formats/testing/file-sets.js';
import { FieldIndex } from './field-index.js';
import { seededRandom } from './testing/shapes.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const hasCorpus = fs.existsSync(corpus);
const skipped = hasCorpus ? '' : ' (skipped: ../shared/corpus is absent)';

async function indexOf(relative: string): Promise<FieldIndex> {
  const files = await fileSetFromDirectory(path.join(corpus, relative));
  const [dataset] = await isoxml.detect(files);
  const { boundaries } = await isoxml.open(files, dataset!);
  return new FieldIndex(boundaries.map((b) => ({ fieldId: b.sourceId, geometry: { type: 'MultiPolygon', coordinates: b.geometry.coordinates } })));
}

function reference(index: FieldIndex, lon: number, lat: number): number {
  let best = -1;
  index.fields.forEach((f, k) => {
    if (!booleanPointInPolygon([lon, lat], f.geometry)) return;
    const byArea = best < 0 ? -1 : index.areaSquareMetres[k]! - index.areaSquareMetres[best]!;
    if (byArea < 0 || (byArea === 0 && f.fieldId < index.fields[best]!.fieldId)) best = k;
  });
  return best;
}

describe.each([
  ['isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs', 21],
  ['isoxml-dotnet/testdata/CodingData/Partfields', 13],
])(`locate on the corpus boundaries of %s${skipped}`, (relative, count) => {
  it.skipIf(!hasCorpus)('agrees with the brute-force reference on random points in and around every field', async () => {
    const index = await indexOf(relative);
    expect(index.fields).toHaveLength(count);
    const next = seededRandom(count);
    let inside = 0;
    for (const f of index.fields) {
      const ring = f.geometry.coordinates[0]![0]!;
      const xs = ring.map((p) => p[0]!);
      const ys = ring.map((p) => p[1]!);
      const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      for (let k = 0; k < 400; k++) {
        const lon = minX - (maxX - minX) * 0.2 + next() * (maxX - minX) * 1.4;
        const lat = minY - (maxY - minY) * 0.2 + next() * (maxY - minY) * 1.4;
        const expected = reference(index, lon, lat);
        if (expected >= 0) inside++;
        expect(index.locate(lon, lat), `${f.fieldId} (${lon}, ${lat})`).toBe(expected);
      }
    }
    // Not a vacuous comparison: a good share of the points fell inside fields.
    expect(inside).toBeGreaterThan(count * 400 * 0.2);
  });

  it.skipIf(!hasCorpus)('puts every boundary vertex in a field, the one the rule picks among the fields touching it', async () => {
    const index = await indexOf(relative);
    for (const f of index.fields) {
      for (const polygon of f.geometry.coordinates) {
        for (const ring of polygon) {
          for (let k = 0; k + 1 < ring.length; k++) {
            const [x, y] = ring[k]!;
            expect(index.locate(x!, y!), `${f.fieldId} vertex ${k}`).toBe(reference(index, x!, y!));
          }
        }
      }
    }
  });
});
