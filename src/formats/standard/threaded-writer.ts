/**
 * An output writer (standardGeojson or GeoParquet) on a worker thread, so formatting the output
 * overlaps reading, standardising and the coverage raster on the main thread: on a 2-core machine
 * the conversion then takes about as long as the larger half instead of the sum. Same interface as
 * the writers themselves; chunks reach the sink in order, one `write` at a time, awaited.
 *
 * Memory stays bounded: at most `MAX_BATCHES` batches are queued for the worker and at most
 * `MAX_CHUNKS` chunks wait for the sink before `write` waits.
 */
import { Worker } from 'node:worker_threads';
import type { ByteSink } from './geojson-writer.js';
import type { StandardBatch, StandardField, StandardText } from './standardize.js';
import type { FromWriter, ToWriter, WriterKind, WriterThreadData } from './writer-thread.js';

// Enough for the main thread to run ahead while the worker starts (it loads its modules first).
const MAX_BATCHES = 4;
const MAX_CHUNKS = 4;

export class ThreadedWriter {
  private readonly worker: Worker;
  private batches = 0;
  private chunks = 0;
  private sinkChain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private finished: (() => void) | undefined;
  private stopping = false;

  constructor(kind: WriterKind, private readonly sink: ByteSink, fields: readonly StandardField[], text: StandardText) {
    const workerData: WriterThreadData = { kind, fields, text };
    if (import.meta.url.endsWith('.ts')) {
      // Running from TypeScript sources (tsx, vitest): Node 20 does not apply the main thread's
      // loader hooks to workers, so the worker loads its entry through tsx's own API.
      const entry = JSON.stringify(new URL('./writer-thread.ts', import.meta.url).href);
      this.worker = new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${entry}, ${entry}))`, { eval: true, workerData });
    } else this.worker = new Worker(new URL('./writer-thread.js', import.meta.url), { workerData });
    this.worker.on('message', (message: FromWriter) => this.receive(message));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fail(new Error(`the ${kind} writer thread exited (code ${code}) before finishing`));
    });
  }

  /** Hands the batch (copied: the caller reuses its arrays) to the worker; waits while too much is in flight. */
  async write(batch: StandardBatch, keep: Uint8Array): Promise<void> {
    this.check();
    const n = batch.length;
    const copy = (a: Float64Array) => a.slice(0, n);
    const values = batch.values.map(copy);
    const sent = { length: n, lon: copy(batch.lon), lat: copy(batch.lat), time: copy(batch.time), recording: copy(batch.recording), values } as unknown as StandardBatch;
    const kept = keep.slice(0, n);
    const transfer = [sent.lon, sent.lat, sent.time, sent.recording, ...values, kept].map((a) => a.buffer as ArrayBuffer);
    this.worker.postMessage({ type: 'batch', batch: sent, keep: kept } satisfies ToWriter, transfer);
    this.batches++;
    while (this.failure === undefined && (this.batches > MAX_BATCHES || this.chunks > MAX_CHUNKS)) await new Promise<void>((resolve) => (this.wake = resolve));
    this.check();
  }

  /** Finishes the output, waits for every chunk to reach the sink, and stops the thread. */
  async finish(): Promise<void> {
    this.check();
    let finished = false;
    this.finished = () => (finished = true);
    this.worker.postMessage({ type: 'finish' } satisfies ToWriter);
    while (this.failure === undefined && !finished) await new Promise<void>((resolve) => (this.wake = resolve));
    await this.sinkChain;
    await this.stop();
    this.check();
  }

  /** Stops the thread; what it had not written is lost (the conversion failed). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }

  private receive(message: FromWriter): void {
    if (message.type === 'chunk') {
      this.chunks++;
      this.sinkChain = this.sinkChain.then(async () => {
        if (this.failure !== undefined) return;
        try {
          await this.sink.write(message.chunk);
        } catch (error) {
          this.fail(error instanceof Error ? error : new Error(String(error)));
        }
        this.chunks--;
        this.notify();
      });
      return;
    }
    if (message.type === 'done') {
      this.batches--;
      this.notify();
    } else if (message.type === 'finished') {
      const finished = this.finished;
      this.finished = undefined;
      finished?.();
      this.notify();
    } else this.fail(new Error(message.message));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
