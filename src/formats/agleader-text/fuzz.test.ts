import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import { mutateBytes, seededRandom } from '../testing/mutate.js';
import agLeaderText from './index.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const gartner = path.resolve(repoRoot, '../shared/corpus/agridat/data-raw/gartner/gartner.corn.csv');
const exists = fs.existsSync(gartner);

describe.skipIf(!exists)('Ag Leader text reader fuzzed with mutated corpus bytes (agridat Gartner CSV)', () => {
  it('either reads plausible points or throws MachineFileError, for 200 seeded mutations', async () => {
    const csv = new Uint8Array(fs.readFileSync(gartner));
    let read = 0;
    let failed = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const files = fileSetFromMemory({ 'gartner.corn.csv': mutateBytes(csv, seededRandom(seed), 200) });
      try {
        for (const dataset of await agLeaderText.detect(files)) {
          const { logs } = await agLeaderText.open(files, dataset);
          let points = 0;
          for await (const batch of logs[0]!.points()) {
            const outside = batch.lon.findIndex((lon, i) => !(Math.abs(lon) <= 180 && Math.abs(batch.lat[i]!) <= 90));
            expect(outside, `seed ${seed}: a point outside the world`).toBe(-1);
            points += batch.length;
          }
          expect(points, `seed ${seed}`).toBeLessThanOrEqual(4949);
        }
        read++;
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
        failed++;
      }
    }
    expect(read + failed).toBe(200);
  });
});
