import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MachineFileError, type FileEntry, type FileSet } from '../machine-data.js';
import { byteSourceFromBytes, byteSourceFromFile } from '../testing/file-sets.js';
import { writeZip } from './testing/write-zip.js';
import { normaliseEntryPath, openZip } from './zip.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const hasCorpus = fs.existsSync(corpus);

async function bytesOf(entry: FileEntry): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.stream()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function entry(files: FileSet, name: string): FileEntry {
  const found = files.entries.find((e) => e.path === name);
  if (found === undefined) throw new Error(`no ${name} in ${files.entries.map((e) => e.path).join(', ')}`);
  return found;
}

async function failure(promise: Promise<unknown>): Promise<MachineFileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MachineFileError) return error;
    throw error;
  }
  throw new Error('expected a MachineFileError, got success');
}

/** Streams an entry, counting what it yields before it fails. */
async function drain(e: FileEntry): Promise<{ produced: number; error: MachineFileError }> {
  let produced = 0;
  try {
    for await (const chunk of e.stream()) produced += chunk.length;
  } catch (error) {
    if (error instanceof MachineFileError) return { produced, error };
    throw error;
  }
  throw new Error(`expected ${e.path} to fail; it streamed ${produced} bytes`);
}

const corpusZips = hasCorpus ? execFileSync('find', [corpus, '-name', '*.zip'], { encoding: 'utf8' }).trim().split('\n').sort() : [];

describe('openZip on the corpus', () => {
  it.skipIf(!hasCorpus)('finds the corpus zips (../shared/corpus is needed for these tests)', () => {
    expect(corpusZips.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of corpusZips) {
    const name = path.relative(corpus, file);
    it(`lists the same files as unzip -Z1 for ${name}, and each inflates to its declared size`, async () => {
      let listing: string;
      try {
        listing = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch (error) {
        // unzip exits 1 on warnings (CorruptStream.zip's junk bytes) and still lists the files.
        listing = (error as { stdout: string }).stdout;
      }
      const expected = listing.split('\n').filter((line) => line !== '' && !line.endsWith('/')).sort();
      const source = byteSourceFromFile(file);
      try {
        const files = await openZip(source);
        expect(files.entries.map((e) => e.path).sort()).toEqual(expected);
        for (const e of files.entries) expect((await bytesOf(e)).length).toBe(e.size);
      } finally {
        source.close();
      }
    });
  }

  it.skipIf(!hasCorpus)('recovers CorruptStream.zip, whose 500,000 inserted bytes shift every offset, and says so', async () => {
    const file = path.join(corpus, 'isoxml-dotnet/testdata/LoadFromStream/CorruptStream.zip');
    const source = byteSourceFromFile(file);
    try {
      const files = await openZip(source);
      expect(files.warnings.join('\n')).toMatch(/500000 extra bytes/);
      let expected: Buffer;
      try {
        expected = execFileSync('unzip', ['-p', file, 'TC_130609_1847/TaskData.xml'], { stdio: ['ignore', 'pipe', 'ignore'] });
      } catch (error) {
        expected = (error as { stdout: Buffer }).stdout;
      }
      expect(expected.length).toBe(16592);
      expect((await bytesOf(entry(files, 'TC_130609_1847/TaskData.xml'))).equals(expected)).toBe(true);
    } finally {
      source.close();
    }
  });
});

describe('openZip on generated archives', () => {
  it('reads stored and deflated entries and finds the end record behind a comment', async () => {
    const zip = writeZip(
      [
        { name: 'TASKDATA/TASKDATA.XML', data: '<ISO11783_TaskData/>'.repeat(100) },
        { name: 'TASKDATA/TLG00001.bin', data: new Uint8Array([1, 2, 3, 4]), method: 0 },
      ],
      { comment: 'exported by a task controller; PK\x05\x06 inside the comment must not confuse the search' },
    );
    const files = await openZip(byteSourceFromBytes(zip));
    expect(files.entries.map((e) => e.path)).toEqual(['TASKDATA/TASKDATA.XML', 'TASKDATA/TLG00001.bin']);
    expect((await bytesOf(files.entries[0]!)).toString()).toBe('<ISO11783_TaskData/>'.repeat(100));
    expect([...(await bytesOf(files.entries[1]!))]).toEqual([1, 2, 3, 4]);
  });

  it('gives stored entries random access and deflated ones none', async () => {
    const files = await openZip(byteSourceFromBytes(writeZip([{ name: 'data.gpkg', data: 'SQLite format 3\0 and pages', method: 0 }, { name: 'x.txt', data: 'x' }])));
    const source = await entry(files, 'data.gpkg').open!();
    expect(source.size).toBe(26);
    expect(Buffer.from(await source.read(7, 8)).toString()).toBe('format 3');
    source.close();
    expect(entry(files, 'x.txt').open).toBeUndefined();
  });

  it('reads ZIP64 end records and extra fields', async () => {
    const zip = writeZip([{ name: 'a.txt', data: 'alpha' }, { name: 'b.txt', data: 'bravo', method: 0 }], { zip64: true });
    const files = await openZip(byteSourceFromBytes(zip));
    expect(await Promise.all(files.entries.map(async (e) => `${e.path}=${(await bytesOf(e)).toString()}`))).toEqual(['a.txt=alpha', 'b.txt=bravo']);
  });

  it('corrects offsets when junk sits before the central directory, like unzip, with a warning', async () => {
    const zip = writeZip([{ name: 'x.txt', data: 'x'.repeat(1000) }], { junkBeforeDirectory: new Uint8Array(777).fill(7) });
    const files = await openZip(byteSourceFromBytes(zip));
    expect((await bytesOf(entry(files, 'x.txt'))).toString()).toBe('x'.repeat(1000));
    expect(files.warnings).toEqual([expect.stringMatching(/777 extra bytes/)]);
  });

  it('expands zips nested two levels deep under their paths', async () => {
    const level2 = writeZip([{ name: 'TASKDATA/TASKDATA.XML', data: '<deep/>' }]);
    const level1 = writeZip([{ name: 'inner.zip', data: level2 }, { name: 'readme.txt', data: 'hi' }]);
    const outer = writeZip([{ name: 'outer/level1.zip', data: level1 }, { name: 'stored.zip', data: level2, method: 0 }]);
    const files = await openZip(byteSourceFromBytes(outer));
    expect(files.entries.map((e) => e.path).sort()).toEqual([
      'outer/level1.zip/inner.zip/TASKDATA/TASKDATA.XML',
      'outer/level1.zip/readme.txt',
      'stored.zip/TASKDATA/TASKDATA.XML',
    ]);
    expect((await bytesOf(entry(files, 'outer/level1.zip/inner.zip/TASKDATA/TASKDATA.XML'))).toString()).toBe('<deep/>');
    expect((await bytesOf(entry(files, 'outer/level1.zip/readme.txt'))).toString()).toBe('hi');
    expect((await bytesOf(entry(files, 'stored.zip/TASKDATA/TASKDATA.XML'))).toString()).toBe('<deep/>');
  });

  it('refuses a zip nested deeper than maxDepth', async () => {
    let zip = writeZip([{ name: 'bottom.txt', data: 'x' }]);
    for (let level = 0; level < 3; level += 1) zip = writeZip([{ name: `level${level}.zip`, data: zip }]);
    const error = await failure(openZip(byteSourceFromBytes(zip)));
    expect(error.code).toBe('archive_limit_exceeded');
    expect(error.message).toMatch(/level2\.zip\/level1\.zip\/level0\.zip is a zip nested 3 levels deep/);
    await expect(openZip(byteSourceFromBytes(zip), { maxDepth: 3 })).resolves.toMatchObject({ entries: [{ path: 'level2.zip/level1.zip/level0.zip/bottom.txt' }] });
  });

  it('keeps a .zip that is not a zip as a plain file, with a warning', async () => {
    const files = await openZip(byteSourceFromBytes(writeZip([{ name: 'fake.zip', data: 'not a zip at all' }])));
    expect(files.entries.map((e) => e.path)).toEqual(['fake.zip']);
    expect(files.warnings.join()).toMatch(/fake\.zip is not a readable zip/);
  });

  it('fails a truncated zip with corrupt_file', async () => {
    const zip = writeZip([{ name: 'a.txt', data: 'a'.repeat(5000) }, { name: 'b.txt', data: 'b'.repeat(5000) }]);
    const error = await failure(openZip(byteSourceFromBytes(zip.subarray(0, zip.length - 40))));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/truncated or not a zip/);
  });

  it('fails an entry whose compressed bytes are damaged with corrupt_file', async () => {
    const zip = writeZip([{ name: 'a.txt', data: 'The quick brown fox. '.repeat(500) }]);
    const damaged = Uint8Array.from(zip);
    for (let i = 40; i < 80; i += 1) damaged[i] = 0xff;
    const files = await openZip(byteSourceFromBytes(damaged));
    const { error } = await drain(files.entries[0]!);
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toMatch(/a\.txt/);
  });

  it('skips entry names that climb out of the archive or are absolute, with a warning, and normalises the rest', async () => {
    const files = await openZip(
      byteSourceFromBytes(writeZip([
        { name: '../evil.txt', data: 'x' },
        { name: '/etc/passwd', data: 'x' },
        { name: 'a/../../evil2.txt', data: 'x' },
        { name: 'good\\TASKDATA.XML', data: '<ok/>' },
        { name: './a/./b/../c.txt', data: 'c' },
      ])),
    );
    expect(files.entries.map((e) => e.path)).toEqual(['good/TASKDATA.XML', 'a/c.txt']);
    expect(files.warnings).toHaveLength(3);
    expect(files.warnings.join('\n')).toMatch(/"\.\.\/evil\.txt" was skipped: its path climbs out of the archive/);
  });

  it('normalises names without ever producing a path outside the root', () => {
    for (const name of ['..', '../..', 'a/../..', '/x', 'C:/x', 'C:\\x', 'a\0b', '', './.', '\\\\server\\share']) {
      expect(normaliseEntryPath(name)).toHaveProperty('refused');
    }
    expect(normaliseEntryPath('a//b/./c')).toBe('a/b/c');
  });
});

describe('openZip limits', () => {
  const zeros = new Uint8Array(10 * 2 ** 20);

  it('fails a 10 MB entry of zeros (ratio ~1000) before inflating it', async () => {
    const files = await openZip(byteSourceFromBytes(writeZip([{ name: 'bomb.bin', data: zeros }])));
    const { produced, error } = await drain(files.entries[0]!);
    expect(error.code).toBe('archive_limit_exceeded');
    expect(error.message).toMatch(/ratio over 200/);
    expect(produced).toBe(0);
  });

  it('stops a bomb that lies about its size as soon as it inflates past the lie', async () => {
    const files = await openZip(byteSourceFromBytes(writeZip([{ name: 'liar.bin', data: zeros, declaredSize: 1000 }])));
    const { produced, error } = await drain(files.entries[0]!);
    expect(error.code).toBe('archive_limit_exceeded');
    expect(error.message).toMatch(/inflates past its declared size/);
    expect(produced).toBeLessThanOrEqual(1000);
  });

  it('lets a highly compressible entry through when maxRatio allows it', async () => {
    const files = await openZip(byteSourceFromBytes(writeZip([{ name: 'zeros.bin', data: zeros }])), { maxRatio: 2000 });
    expect((await bytesOf(files.entries[0]!)).length).toBe(zeros.length);
  });

  it('fails a nested bomb on the declared total before inflating its leaves', async () => {
    const leaf = writeZip(Array.from({ length: 10 }, (_, i) => ({ name: `zeros${i}.bin`, data: zeros })));
    const outer = writeZip(Array.from({ length: 10 }, (_, i) => ({ name: `part${i}.zip`, data: leaf })));
    const started = Date.now();
    const error = await failure(openZip(byteSourceFromBytes(outer), { maxTotalBytes: 200 * 2 ** 20, maxRatio: 1e9 }));
    expect(error.code).toBe('archive_limit_exceeded');
    expect(error.message).toMatch(/more than 200\.0 MiB uncompressed/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('fails a zip of 100,000 entries from its end record, before reading them', async () => {
    const zip = writeZip(Array.from({ length: 100_000 }, (_, i) => ({ name: `f${i}`, data: '', method: 0 as const })), { zip64: true });
    const error = await failure(openZip(byteSourceFromBytes(zip)));
    expect(error.code).toBe('archive_limit_exceeded');
    expect(error.message).toMatch(/declares 100000 files; Furrow accepts at most 50000/);
  });

  it('counts entries across nested zips against maxEntries', async () => {
    const inner = writeZip(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
    const outer = writeZip([{ name: 'a.zip', data: inner }, { name: 'b.zip', data: inner }]);
    await expect(openZip(byteSourceFromBytes(outer), { maxEntries: 50 })).rejects.toMatchObject({ code: 'archive_limit_exceeded' });
    await expect(openZip(byteSourceFromBytes(outer), { maxEntries: 60 })).resolves.toMatchObject({ entries: expect.any(Array) });
  });
});
