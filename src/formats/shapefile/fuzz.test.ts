import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import { mutateBytes as mutate, seededRandom as random } from '../testing/mutate.js';
import shapefile from './index.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const layer = path.resolve(repoRoot, '../shared/corpus/strips-yield/data-raw/yield_original/2013-orbweaver-south');
const exists = fs.existsSync(`${layer}.shp`);

describe.skipIf(!exists)('shapefile reader fuzzed with mutated corpus bytes', () => {
  it('either reads plausible points or throws MachineFileError, for 300 seeded mutations', async () => {
    const shp = new Uint8Array(fs.readFileSync(`${layer}.shp`));
    const shx = new Uint8Array(fs.readFileSync(`${layer}.shx`));
    const dbf = new Uint8Array(fs.readFileSync(`${layer}.dbf`));
    const prj = fs.readFileSync(`${layer}.prj`, 'utf8');
    let read = 0;
    let failed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const which = next();
      const files = fileSetFromMemory({
        'f.shp': which < 0.45 ? mutate(shp, next) : shp,
        'f.dbf': which >= 0.45 && which < 0.9 ? mutate(dbf, next) : dbf,
        'f.shx': which >= 0.9 ? mutate(shx, next) : shx,
        'f.prj': prj,
      });
      try {
        for (const dataset of await shapefile.detect(files)) {
          const { logs } = await shapefile.open(files, dataset);
          let points = 0;
          for await (const batch of logs[0]!.points()) {
            const outside = batch.lon.findIndex((lon, i) => !(Math.abs(lon) <= 180 && Math.abs(batch.lat[i]!) <= 90));
            expect(outside, `seed ${seed}: a point outside the world`).toBe(-1);
            points += batch.length;
          }
          expect(points, `seed ${seed}`).toBeLessThanOrEqual(858 * 2);
        }
        read++;
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
        failed++;
      }
    }
    expect(read + failed).toBe(300);
    expect(failed).toBeGreaterThan(0);
  });
});
