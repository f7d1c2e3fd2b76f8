/**
 * An output writer (standardGeojson or GeoParquet) on a worker thread, so formatting the output
 * overlaps reading, standardising and the coverage raster on the main thread: on a 2-core machine
 * the conversion then takes about as long as the larger half instead of the sum. Same interface as
 * the writers themselves; chunks reach the sink in order, one `write` at a time, awaited.
 *
 * Or, for a GeoParquet-only conversion, the whole standard step on the thread (`writePoints`: the
 * reader's batches go over as they are) and the coverage raster on a third: the main thread then
 * only reads, which is the larger share of what is left.
 *
 * Memory stays bounded: at most `maxBatches` batches are queued for the worker and at most
 * `MAX_CHUNKS` chunks wait for the sink before `write` waits.
 */
import type { Worker } from 'node:worker_threads';
import type { PointBatch } from '../machine-data.js';
import type { ByteSink } from './geojson-writer.js';
import type { StandardBatch } from './standardize.js';
import { BufferPool } from './buffer-pool.js';
import { ThreadSignal } from './thread-signal.js';
import { startWorker } from './worker-start.js';
import type { FromWriter, ToWriter, WriterThreadData } from './writer-thread.js';

// Enough for the main thread to run ahead while the worker starts (it loads its modules first).
const MAX_BATCHES = 4;
const MAX_CHUNKS = 4;

export class ThreadedWriter {
  private readonly worker: Worker;
  private batches = 0;
  private chunks = 0;
  private sinkChain: Promise<void> = Promise.resolve();
  private readonly signal = new ThreadSignal();
  private finished: (() => void) | undefined;
  private stopping = false;

  private result: unknown;
  /** `writePoints` buffers, posted back by the thread once used. */
  private readonly pool = new BufferPool();

  constructor(workerData: WriterThreadData, private readonly sink: ByteSink, private readonly maxBatches = MAX_BATCHES) {
    const { kind } = workerData;
    this.worker = startWorker('writer-thread', import.meta.url, workerData);
    this.worker.on('message', (message: FromWriter) => this.receive(message));
    this.worker.on('error', (error) => this.signal.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.signal.fail(new Error(`the ${kind} writer thread exited (code ${code}) before finishing`));
    });
  }

  /** Hands the batch (copied: the caller reuses its arrays) to the worker; waits while too much is in flight. */
  async write(batch: StandardBatch, keep: Uint8Array): Promise<void> {
    this.signal.check();
    const n = batch.length;
    const copy = (a: Float64Array) => a.slice(0, n);
    const values = batch.values.map(copy);
    const sent = { length: n, lon: copy(batch.lon), lat: copy(batch.lat), time: copy(batch.time), recording: copy(batch.recording), values } as unknown as StandardBatch;
    const kept = keep.slice(0, n);
    const transfer = [sent.lon, sent.lat, sent.time, sent.recording, ...values, kept].map((a) => a.buffer as ArrayBuffer);
    await this.send({ type: 'batch', batch: sent, keep: kept }, transfer);
  }

  /** Hands a reader's batch (copied: readers reuse their arrays) to a `standard-geoparquet` thread. */
  async writePoints(batch: PointBatch): Promise<void> {
    this.signal.check();
    const n = batch.length;
    const copy = (a: Float64Array) => this.pool.copy(a, n);
    const values = batch.values.map(copy);
    const sent: PointBatch = { length: n, lon: copy(batch.lon), lat: copy(batch.lat), time: copy(batch.time), values };
    const transfer = [sent.lon, sent.lat, sent.time, ...values].map((a) => a.buffer as ArrayBuffer);
    await this.send({ type: 'points', batch: sent }, transfer);
  }

  private async send(message: ToWriter, transfer: ArrayBuffer[]): Promise<void> {
    this.worker.postMessage(message, transfer);
    this.batches++;
    await this.signal.waitWhile(() => this.batches > this.maxBatches || this.chunks > MAX_CHUNKS);
  }

  /**
   * Finishes the output, waits for every chunk to reach the sink, and stops the thread. Returns
   * what the thread's finish gave (a `StageResult` for `standard-geoparquet`).
   */
  async finish(): Promise<unknown> {
    this.signal.check();
    let finished = false;
    this.finished = () => (finished = true);
    this.worker.postMessage({ type: 'finish' } satisfies ToWriter);
    try {
      await this.signal.waitWhile(() => !finished);
    } finally {
      // Even after a failure: no sink write may still be running when this returns.
      await this.sinkChain;
    }
    this.signal.check();
    // Everything is written: the thread is told to end and not waited for. It ends on its own
    // rather than by terminate(), which can abort the process when it lands while V8 still has
    // background work for the thread's isolate (seen once in 128 back-to-back conversions).
    this.stopping = true;
    this.worker.postMessage({ type: 'close' } satisfies ToWriter);
    this.worker.unref();
    return this.result;
  }

  /** Stops the thread; what it had not written is lost (the conversion failed). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.worker.terminate();
  }

  private receive(message: FromWriter): void {
    if (message.type === 'chunk') {
      this.chunks++;
      this.sinkChain = this.sinkChain.then(async () => {
        if (this.signal.failed) return;
        try {
          await this.sink.write(message.chunk);
        } catch (error) {
          this.signal.fail(error instanceof Error ? error : new Error(String(error)));
        }
        this.chunks--;
        this.signal.notify();
      });
      return;
    }
    if (message.type === 'done') {
      if (message.buffers !== undefined) this.pool.release(message.buffers);
      this.batches--;
      this.signal.notify();
    } else if (message.type === 'finished') {
      this.result = message.result;
      const finished = this.finished;
      this.finished = undefined;
      finished?.();
      this.signal.notify();
    } else this.signal.fail(new Error(message.message));
  }
}
