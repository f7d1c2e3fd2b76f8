/**
 * What every blob store promises, as one list of tests each implementation's test file runs:
 * read what was written, atomic replace, nothing visible before commit, random access, sizes,
 * delete and deletePrefix (over more keys than one listing page of the S3 store's tests).
 */
import { expect, it } from 'vitest';
import type { BlobStore } from '../blob-store.js';

export interface BlobStoreUnderTest {
  store: BlobStore;
  /** Whether a write left something behind: a temporary file, an open multipart upload. */
  hasLeftovers(): boolean;
}

export async function collect(chunks: AsyncIterable<Uint8Array> | undefined): Promise<Buffer | undefined> {
  if (chunks === undefined) return undefined;
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

export async function* chunksOf(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

/** Registers the contract's tests in the surrounding `describe`; `subject` is read inside each test. */
export function blobStoreContract(subject: () => BlobStoreUnderTest): void {
  it('writes a stream under a key and reads it back, whole and by range', async () => {
    const { store } = subject();
    expect(await store.write('users/u1/batches/b1/upload', chunksOf('hello ', 'blob ', 'store'))).toEqual({ size: 16 });
    expect((await collect(await store.read('users/u1/batches/b1/upload')))?.toString()).toBe('hello blob store');
    const blob = await store.open('users/u1/batches/b1/upload');
    expect(blob?.size).toBe(16);
    expect(Buffer.from(await blob!.read(6, 4)).toString()).toBe('blob');
    expect(Buffer.from(await blob!.read(0, 5)).toString()).toBe('hello');
    expect(Buffer.from(await blob!.read(14, 100)).toString()).toBe('re');
    expect((await blob!.read(16, 10)).length).toBe(0);
    await blob!.close();
    expect(await store.size('users/u1/batches/b1/upload')).toBe(16);
  });

  it('stores an empty blob as a blob of size 0', async () => {
    const { store } = subject();
    expect(await store.write('files/empty/original', chunksOf())).toEqual({ size: 0 });
    expect(await store.size('files/empty/original')).toBe(0);
    expect((await collect(await store.read('files/empty/original')))?.length).toBe(0);
  });

  it('replaces a blob whole, and keeps the old one when a write fails half way, leaving nothing behind', async () => {
    const { store, hasLeftovers } = subject();
    await store.write('k/a', chunksOf('old'));
    await store.write('k/a', chunksOf('newer ', 'blob'));
    expect((await collect(await store.read('k/a')))?.toString()).toBe('newer blob');
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.from('half of a ');
      throw new Error('connection reset');
    }
    await expect(store.write('k/a', failing())).rejects.toThrow('connection reset');
    expect((await collect(await store.read('k/a')))?.toString()).toBe('newer blob');
    expect(hasLeftovers()).toBe(false);
  });

  it("shows a writer's blob only once committed, and after an abort the key keeps what it had", async () => {
    const { store, hasLeftovers } = subject();
    const writer = await store.createWriter('files/f1/standardGeojson');
    await writer.write(Buffer.from('{"type":'));
    expect(await store.read('files/f1/standardGeojson')).toBeUndefined();
    await writer.write(Buffer.from('"FeatureCollection"}'));
    expect(await writer.commit()).toEqual({ size: 28 });
    expect((await collect(await store.read('files/f1/standardGeojson')))?.toString()).toBe('{"type":"FeatureCollection"}');

    const replacing = await store.createWriter('files/f1/standardGeojson');
    await replacing.write(Buffer.from('partial'));
    await replacing.abort();
    expect((await collect(await store.read('files/f1/standardGeojson')))?.toString()).toBe('{"type":"FeatureCollection"}');
    const aborted = await store.createWriter('files/f2/standardGeojson');
    await aborted.write(Buffer.from('partial'));
    await aborted.abort();
    expect(await store.read('files/f2/standardGeojson')).toBeUndefined();
    expect(hasLeftovers()).toBe(false);
  });

  it('copies what a writer is given, so a producer may reuse its buffer', async () => {
    const { store } = subject();
    const writer = await store.createWriter('files/f3/original');
    const buffer = Buffer.from('first ');
    await writer.write(buffer);
    buffer.write('later ');
    await writer.write(buffer);
    await writer.commit();
    expect((await collect(await store.read('files/f3/original')))?.toString()).toBe('first later ');
  });

  it('deletes one blob, or everything under a prefix and nothing beside it, and answers undefined for absent keys', async () => {
    const { store } = subject();
    const under = ['users/u1/a', 'users/u1/b/c', ...Array.from({ length: 8 }, (_, i) => `users/u1/batches/b${i}/upload`)];
    for (const key of under) await store.write(key, chunksOf(key));
    await store.write('users/u10/a', chunksOf('beside'));
    await store.write('users/u2/a', chunksOf('3'));
    await store.delete('users/u1/a');
    expect(await store.size('users/u1/a')).toBeUndefined();
    await store.deletePrefix('users/u1');
    for (const key of under) expect(await store.open(key), key).toBeUndefined();
    expect(await store.size('users/u10/a')).toBe(6);
    expect(await store.size('users/u2/a')).toBe(1);
    await store.delete('users/u9/none');
    await store.deletePrefix('users/u9');
    expect(await store.read('users/u9/none')).toBeUndefined();
    expect(await store.size('users/u9/none')).toBeUndefined();
  });

  it('refuses keys that could leave its root', async () => {
    const { store } = subject();
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.hidden/x', 'a/./b']) {
      await expect(store.write(key, chunksOf('x')), key).rejects.toThrow(/Invalid blob key/);
    }
  });
}
