/**
 * The coverage raster on a worker thread of its own (a `SwathSink`), so a conversion's
 * standardising and writing overlap rasterising the swaths. At most `MAX_BATCHES` batches are in
 * flight before `addSwaths` waits.
 */
import type { Worker } from 'node:worker_threads';
import type { FromCoverage, SwathBatch, ToCoverage } from './coverage-thread.js';
import type { CoverageOutline } from './coverage.js';
import type { SwathSink } from './standard-stage.js';
import { BufferPool } from './buffer-pool.js';
import { ThreadSignal } from './thread-signal.js';
import { startWorker } from './worker-start.js';

// Enough to run ahead while the thread starts (about 0.1 s) without waiting on it.
const MAX_BATCHES = 8;

export class ThreadedCoverage implements SwathSink {
  private readonly worker: Worker;
  private inFlight = 0;
  private readonly signal = new ThreadSignal();
  private outline: CoverageOutline | undefined;
  private stopping = false;
  /** Swath buffers, posted back by the thread once rasterised. */
  private readonly pool = new BufferPool();

  constructor() {
    this.worker = startWorker('coverage-thread', import.meta.url, null);
    this.worker.on('message', (message: FromCoverage) => {
      if (message.type === 'done') {
        this.pool.release(message.buffers);
        this.inFlight--;
      }
      else if (message.type === 'finished') this.outline = message.outline;
      else this.signal.fail(new Error(message.message));
      this.signal.notify();
    });
    this.worker.on('error', (error) => this.signal.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.signal.fail(new Error(`the coverage thread exited (code ${code}) before finishing`));
    });
  }

  /** Copies the swaths (the caller reuses its arrays) to the thread. */
  async addSwaths(prevLon: Float64Array, prevLat: Float64Array, lon: Float64Array, lat: Float64Array, width: Float64Array, covered: Uint8Array, n: number): Promise<void> {
    this.signal.check();
    const pool = this.pool;
    const swaths: SwathBatch = { n, prevLon: pool.copy(prevLon, n), prevLat: pool.copy(prevLat, n), lon: pool.copy(lon, n), lat: pool.copy(lat, n), width: pool.copy(width, n), covered: pool.copy(covered, n) };
    const transfer = [swaths.prevLon, swaths.prevLat, swaths.lon, swaths.lat, swaths.width, swaths.covered].map((a) => a.buffer as ArrayBuffer);
    this.worker.postMessage({ type: 'swaths', swaths } satisfies ToCoverage, transfer);
    this.inFlight++;
    await this.signal.waitWhile(() => this.inFlight > MAX_BATCHES);
  }

  /** Traces the outline on the thread, then stops it. */
  async finish(): Promise<CoverageOutline> {
    this.signal.check();
    this.worker.postMessage({ type: 'finish' } satisfies ToCoverage);
    await this.signal.waitWhile(() => this.outline === undefined);
    // Done with it: told to end, not waited for; on its own rather than by terminate() (see ThreadedWriter.finish).
    this.stopping = true;
    this.worker.postMessage({ type: 'close' } satisfies ToCoverage);
    this.worker.unref();
    return this.outline!;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.worker.terminate();
  }
}
