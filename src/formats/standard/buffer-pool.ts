/**
 * Spare ArrayBuffers for batches posted to a worker thread and posted back once used: a
 * conversion then allocates a few batches' worth of buffers instead of a fresh set per batch (new
 * buffers of this size are fresh pages from the system, and garbage the receiving thread collects
 * late, which showed as peak RSS).
 */
export class BufferPool {
  private readonly spare: ArrayBuffer[] = [];

  /** A copy of the first `n` values of `source` in a pooled buffer (a view of exactly `n`). */
  copy<T extends Float64Array | Uint8Array>(source: T, n: number): T {
    const bytes = n * source.BYTES_PER_ELEMENT;
    let buffer = this.spare.pop();
    if (buffer === undefined || buffer.byteLength < bytes) buffer = new ArrayBuffer(Math.max(bytes, 8));
    const view = (source instanceof Float64Array ? new Float64Array(buffer, 0, n) : new Uint8Array(buffer, 0, n)) as T;
    view.set(source.subarray(0, n));
    return view;
  }

  /** Buffers posted back, ready to reuse. */
  release(buffers: readonly ArrayBuffer[]): void {
    for (const buffer of buffers) if (buffer.byteLength > 0) this.spare.push(buffer);
  }
}
