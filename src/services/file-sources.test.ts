import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '../formats/archive/testing/write-zip.js';
import type { FileEntry } from '../formats/machine-data.js';
import { openFileSet } from './file-sources.js';

let dir: string;

async function text(entry: FileEntry | undefined): Promise<string> {
  if (entry === undefined) throw new Error('no such entry');
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.stream()) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-file-sources-'));
  fs.mkdirSync(path.join(dir, 'set/TASKDATA'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'set/TASKDATA/TASKDATA.XML'), '<ISO11783_TaskData/>');
  fs.writeFileSync(path.join(dir, 'set/TASKDATA/TLG00001.bin'), 'log');
  fs.writeFileSync(path.join(dir, 'set/readme.txt'), 'hi');
  fs.writeFileSync(path.join(dir, 'upload.zip'), writeZip([{ name: 'TASKDATA/TASKDATA.XML', data: '<zipped/>' }, { name: 'inner.zip', data: writeZip([{ name: 'a.txt', data: 'A' }]) }]));
  fs.writeFileSync(path.join(dir, 'no-extension'), writeZip([{ name: 'b.txt', data: 'B' }]));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openFileSet', () => {
  it('opens a folder recursively with paths relative to it', async () => {
    const { files, selected } = await openFileSet(path.join(dir, 'set'));
    expect(files.entries.map((e) => e.path).sort()).toEqual(['TASKDATA/TASKDATA.XML', 'TASKDATA/TLG00001.bin', 'readme.txt']);
    expect(selected).toBeUndefined();
  });

  it('opens a zip with its nested zips expanded, and closes it', async () => {
    const opened = await openFileSet(path.join(dir, 'upload.zip'));
    expect(opened.files.entries.map((e) => e.path)).toEqual(['TASKDATA/TASKDATA.XML', 'inner.zip/a.txt']);
    expect(await text(opened.files.entries[1])).toBe('A');
    opened.close();
    opened.close();
  });

  it('recognises a zip by its signature whatever its name', async () => {
    const opened = await openFileSet(path.join(dir, 'no-extension'));
    expect(await text(opened.files.entries[0])).toBe('B');
    opened.close();
  });

  it('opens a lone TASKDATA.XML with its siblings and says which file was named', async () => {
    const { files, selected } = await openFileSet(path.join(dir, 'set/TASKDATA/TASKDATA.XML'));
    expect(files.entries.map((e) => e.path).sort()).toEqual(['TASKDATA.XML', 'TLG00001.bin']);
    expect(selected).toBe('TASKDATA.XML');
    expect(await text(files.entries.find((e) => e.path === 'TLG00001.bin'))).toBe('log');
    const source = await files.entries.find((e) => e.path === 'TASKDATA.XML')!.open!();
    expect(Buffer.from(await source.read(1, 6)).toString()).toBe('ISO117');
    source.close();
  });

  it('fails with missing_file for a path that does not exist', async () => {
    await expect(openFileSet(path.join(dir, 'nope.zip'))).rejects.toMatchObject({ code: 'missing_file', message: expect.stringMatching(/nope\.zip does not exist/) });
  });
});
