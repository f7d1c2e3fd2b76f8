/**
 * A forward-only window over a stream of byte chunks. Decoders read straight out of `bytes` with
 * `view` between `pos` and `end`, and call `fill(n)` only when fewer than `n` bytes are left, so
 * the hot path never awaits. Memory is one chunk plus one record stitched across a chunk boundary.
 */
const EMPTY = new Uint8Array(0);

export class ByteCursor {
  bytes: Uint8Array = EMPTY;
  view: DataView = new DataView(EMPTY.buffer);
  pos = 0;
  end = 0;
  /** Bytes consumed before `bytes[0]`, for offsets in error messages. */
  private base = 0;
  private done = false;
  private pending: Uint8Array | null = null;
  private readonly iterator: AsyncIterator<Uint8Array>;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** The file offset of `pos`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Makes at least `min` bytes available from `pos`; false when the stream ends first. */
  async fill(min: number): Promise<boolean> {
    while (this.end - this.pos < min) {
      let chunk = this.pending;
      this.pending = null;
      if (chunk === null) {
        if (this.done) return false;
        const next = await this.iterator.next();
        if (next.done === true) {
          this.done = true;
          return false;
        }
        chunk = next.value;
      }
      if (chunk.length === 0) continue;
      const rest = this.end - this.pos;
      this.base += this.pos;
      if (rest === 0) {
        this.adopt(chunk);
        continue;
      }
      // A record straddles two chunks: stitch only the bytes asked for and keep the rest of
      // the chunk to adopt without copying once the stitched record is consumed.
      const take = Math.min(chunk.length, min - rest);
      const stitched = new Uint8Array(rest + take);
      stitched.set(this.bytes.subarray(this.pos, this.end));
      stitched.set(chunk.subarray(0, take), rest);
      this.adopt(stitched);
      if (take < chunk.length) this.pending = chunk.subarray(take);
    }
    return true;
  }

  /** True when no byte is left, reading ahead if needed. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Stops the underlying stream (a file handle, a zip entry inflater). */
  async close(): Promise<void> {
    this.done = true;
    this.pending = null;
    await this.iterator.return?.();
  }

  private adopt(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = bytes.length;
  }
}

/** The first `length` bytes of a stream (or all of it when shorter), closing it after. */
export async function readPrefix(chunks: AsyncIterable<Uint8Array>, length: number): Promise<Uint8Array> {
  const cursor = new ByteCursor(chunks);
  await cursor.fill(length);
  const prefix = cursor.bytes.slice(cursor.pos, Math.min(cursor.end, cursor.pos + length));
  await cursor.close();
  return prefix;
}
