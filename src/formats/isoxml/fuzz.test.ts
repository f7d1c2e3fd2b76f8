/**
 * Mutated corpus task data (seeded, so a failure replays): the reader must either yield plausible
 * batches or throw a MachineFileError, never another error, a hang or unbounded output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { fileSetFromMemory } from '../testing/file-sets.js';
import isoxml from './index.js';
import { seededRandom as prng } from '../testing/mutate.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const source = path.resolve(repoRoot, '../shared/corpus/isoxml-dotnet/testdata/TimeLogs/TotalsTests');
const hasCorpus = fs.existsSync(source);

function mutate(bytes: Uint8Array, random: () => number, isXml: boolean): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const out = Uint8Array.from(bytes);
  switch (pick(5)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + pick(20); i < n && out.length > 0; i++) out[pick(out.length)] = isXml ? '<>"&=/ 0123456789'.charCodeAt(pick(17)) : pick(256);
      return out;
    case 1: // truncate
      return out.subarray(0, pick(out.length + 1));
    case 2: { // insert junk
      const at = pick(out.length + 1);
      const junk = Uint8Array.from({ length: 1 + pick(40) }, () => pick(256));
      return Uint8Array.from([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
    }
    case 3: { // delete a range
      const at = pick(out.length + 1);
      return Uint8Array.from([...out.subarray(0, at), ...out.subarray(Math.min(out.length, at + 1 + pick(200)))]);
    }
    default: { // duplicate a range
      const at = pick(out.length + 1);
      const slice = out.subarray(at, at + 1 + pick(100));
      return Uint8Array.from([...out.subarray(0, at), ...slice, ...out.subarray(at)]);
    }
  }
}

describe.skipIf(!hasCorpus)(`the ISOXML reader on mutated corpus files${hasCorpus ? '' : ' (skipped: ../shared/corpus is absent)'}`, () => {
  it('yields plausible points or fails with a MachineFileError in 300 seeded cases', async () => {
    const originals: Record<string, Uint8Array> = {};
    for (const name of fs.readdirSync(source)) originals[name] = fs.readFileSync(path.join(source, name));
    const names = Object.keys(originals).sort();
    const outcomes = { ok: 0, failed: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const random = prng(seed);
      const files = { ...originals };
      for (let m = 0, n = 1 + Math.floor(random() * 3); m < n; m++) {
        const name = names[Math.floor(random() * names.length)]!;
        files[name] = mutate(files[name]!, random, /\.xml$/i.test(name));
      }
      const binBytes = Object.entries(files).filter(([n]) => /\.bin$/i.test(n)).reduce((s, [, b]) => s + b.length, 0);
      const set = fileSetFromMemory(files);
      try {
        const [dataset] = await isoxml.detect(set);
        const { logs } = await isoxml.open(set, dataset!, { batchSize: 1000 });
        for (const log of logs) {
          let points = 0;
          try {
            for await (const batch of log.points()) {
              expect(batch.length).toBeLessThanOrEqual(1000);
              let implausible = 0;
              for (let i = 0; i < batch.length; i++) if (!(Math.abs(batch.lat[i]!) <= 90 && Math.abs(batch.lon[i]!) <= 180)) implausible++;
              expect(implausible, `seed ${seed}: points outside ±90/±180`).toBe(0);
              points += batch.length;
            }
            // A record is at least 7 bytes: no mutation can make more points than that allows.
            expect(points, `seed ${seed}`).toBeLessThanOrEqual(binBytes / 7);
            outcomes.ok++;
          } catch (error) {
            if (!(error instanceof MachineFileError)) throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
            outcomes.failed++;
          }
        }
      } catch (error) {
        if (!(error instanceof MachineFileError)) throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
        outcomes.failed++;
      }
    }
    // Both outcomes occur: the mutations reach the decoder and the checks catch some of them.
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.failed).toBeGreaterThan(20);
  });
});
