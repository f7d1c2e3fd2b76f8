/**
 * Where machine-file bytes live (uploaded originals, standard outputs): one seam, so the
 * filesystem store and an S3-compatible bucket are interchangeable to the services.
 */

/** Random access to one stored blob (a zip's central directory is at its end). */
export interface RandomAccessBlob {
  readonly size: number;
  /** Exactly `length` bytes from `offset` (fewer only at the end of the blob). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A blob being written chunk by chunk; nothing is visible under its key until `commit`. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the blob visible under its key, replacing any blob there, and returns its size. */
  commit(): Promise<{ size: number }>;
  /** Drops what was written; the key keeps whatever it had. */
  abort(): Promise<void>;
}

export interface BlobStore {
  /** Streams `source` into the blob at `key`, atomically: readers see the old blob or the whole new one. */
  write(key: string, source: AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /** A writer for producers that push chunks (converters writing to an output sink). */
  createWriter(key: string): Promise<BlobWriter>;
  /** The blob's bytes in chunks; `undefined` when there is no blob at `key`. */
  read(key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** Random access; `undefined` when there is no blob at `key`. */
  open(key: string): Promise<RandomAccessBlob | undefined>;
  size(key: string): Promise<number | undefined>;
  /** Deletes the blob; no error when it is absent. */
  delete(key: string): Promise<void>;
  /** Deletes every blob whose key starts with `prefix/`. */
  deletePrefix(prefix: string): Promise<void>;
}

/**
 * `BlobStore.write` by way of the store's own writer: streams `source` in and commits, or aborts
 * what was written and rethrows the source's or the write's error (not a failing abort's).
 */
export async function writeThroughWriter(createWriter: (key: string) => Promise<BlobWriter>, key: string, source: AsyncIterable<Uint8Array>): Promise<{ size: number }> {
  const writer = await createWriter(key);
  try {
    for await (const chunk of source) await writer.write(chunk);
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
  return writer.commit();
}
