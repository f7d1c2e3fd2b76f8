import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesystemBlobStore, hasTemporaryFiles } from './filesystem-blob-store.js';

async function collect(chunks: AsyncIterable<Uint8Array> | undefined): Promise<Buffer | undefined> {
  if (chunks === undefined) return undefined;
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

async function* chunksOf(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('the filesystem blob store', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-blobs-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes a stream under a key and reads it back, whole and by range', async () => {
    const store = filesystemBlobStore(root);
    expect(await store.write('users/u1/batches/b1/upload', chunksOf('hello ', 'blob ', 'store'))).toEqual({ size: 16 });
    expect((await collect(await store.read('users/u1/batches/b1/upload')))?.toString()).toBe('hello blob store');
    const blob = await store.open('users/u1/batches/b1/upload');
    expect(blob?.size).toBe(16);
    expect(Buffer.from((await blob!.read(6, 4))).toString()).toBe('blob');
    expect(Buffer.from((await blob!.read(14, 100))).toString()).toBe('re');
    await blob!.close();
    expect(await store.size('users/u1/batches/b1/upload')).toBe(16);
  });

  it('keeps the old blob when a write fails half way, and leaves no temporary file', async () => {
    const store = filesystemBlobStore(root);
    await store.write('k/a', chunksOf('old'));
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.from('new and ');
      throw new Error('connection reset');
    }
    await expect(store.write('k/a', failing())).rejects.toThrow('connection reset');
    expect((await collect(await store.read('k/a')))?.toString()).toBe('old');
    expect(hasTemporaryFiles(root)).toBe(false);
  });

  it('shows a writer\'s blob only once committed, and nothing after an abort', async () => {
    const store = filesystemBlobStore(root);
    const writer = await store.createWriter('files/f1/standardGeojson');
    await writer.write(Buffer.from('{"type":'));
    expect(await store.read('files/f1/standardGeojson')).toBeUndefined();
    await writer.write(Buffer.from('"FeatureCollection"}'));
    expect(await writer.commit()).toEqual({ size: 28 });
    expect((await collect(await store.read('files/f1/standardGeojson')))?.toString()).toBe('{"type":"FeatureCollection"}');
    const aborted = await store.createWriter('files/f2/standardGeojson');
    await aborted.write(Buffer.from('partial'));
    await aborted.abort();
    expect(await store.read('files/f2/standardGeojson')).toBeUndefined();
    expect(hasTemporaryFiles(root)).toBe(false);
  });

  it('deletes one blob or everything under a prefix, and answers undefined for absent keys', async () => {
    const store = filesystemBlobStore(root);
    await store.write('users/u1/a', chunksOf('1'));
    await store.write('users/u1/b/c', chunksOf('2'));
    await store.write('users/u2/a', chunksOf('3'));
    await store.delete('users/u1/a');
    expect(await store.size('users/u1/a')).toBeUndefined();
    await store.deletePrefix('users/u1');
    expect(await store.open('users/u1/b/c')).toBeUndefined();
    expect(await store.size('users/u2/a')).toBe(1);
    await store.delete('users/u9/none');
  });

  it('refuses keys that could leave its directory', async () => {
    const store = filesystemBlobStore(root);
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.hidden/x', 'a/./b']) {
      await expect(store.write(key, chunksOf('x')), key).rejects.toThrow(/Invalid blob key/);
    }
  });
});
