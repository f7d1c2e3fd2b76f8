import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import geopackage from './index.js';
import { seededRandom as random } from '../testing/mutate.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const file = path.resolve(repoRoot, '../shared/corpus/data-harvesting-for-agriculture/_episodes_rmd/data/asapplied.gpkg');
const exists = fs.existsSync(file);
const POINTS = 9_913;

/** Truncation now and then, and byte edits biased to where one byte redirects everything: headers and pointers. */
function mutate(bytes: Uint8Array, next: () => number): Uint8Array {
  const out = bytes.slice(0, next() < 0.1 ? Math.floor(next() * bytes.length) : bytes.length);
  const pageSize = 4096;
  const edits = 1 + Math.floor(next() * 8);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const where = next();
    const at =
      where < 0.2 ? Math.floor(next() * 100) // database header
        : where < 0.6 ? Math.floor(next() * Math.floor(out.length / pageSize)) * pageSize + Math.floor(next() * 64) // b-tree page headers, cell pointers
          : Math.floor(next() * out.length);
    if (at < out.length) out[at] = Math.floor(next() * 256);
  }
  return out;
}

describe.skipIf(!exists)('GeoPackage reader fuzzed with mutated corpus bytes (../shared/corpus is needed)', () => {
  it('either reads plausible points or throws MachineFileError, for 300 seeded mutations', async () => {
    const original = new Uint8Array(fs.readFileSync(file));
    let read = 0;
    let failed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const files = fileSetFromMemory({ 'f.gpkg': mutate(original, random(seed)) });
      try {
        for (const dataset of await geopackage.detect(files)) {
          const { logs } = await geopackage.open(files, dataset);
          for (const log of logs) {
            let points = 0;
            for await (const batch of log.points()) {
              const outside = batch.lon.findIndex((lon, i) => !(Math.abs(lon) <= 180 && Math.abs(batch.lat[i]!) <= 90));
              expect(outside, `seed ${seed}: a point outside the world`).toBe(-1);
              points += batch.length;
            }
            // A mutated MultiPoint header could multiply points; a point layer cannot exceed its cells.
            expect(points, `seed ${seed}`).toBeLessThanOrEqual(POINTS * 2);
          }
        }
        read++;
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
        failed++;
      }
    }
    expect(read + failed).toBe(300);
    expect(failed).toBeGreaterThan(0);
  }, 120_000);
});
