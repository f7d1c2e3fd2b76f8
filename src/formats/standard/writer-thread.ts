/**
 * Worker-thread entry for `ThreadedWriter`: runs one output writer (standardGeojson or GeoParquet)
 * on the batches the main thread posts, and posts the output chunks back in order. Batches are
 * handled one at a time; each is acknowledged once written, so the main thread can bound how many
 * are in flight.
 *
 * `standard-geoparquet` runs the whole standard step here instead (`StandardStage`, the coverage
 * raster on a thread of its own) on the reader's batches, writes GeoParquet, and answers the finish
 * with the stage's `StageResult`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PointBatch } from '../machine-data.js';
import type { StageResult, StageSetup } from './standard-stage.js';
import type { StandardBatch, StandardField, StandardText } from './standardize.js';

export type WriterKind = 'geojson' | 'geoparquet';

export type WriterThreadData =
  | { readonly kind: WriterKind; readonly fields: readonly StandardField[]; readonly text: StandardText }
  | { readonly kind: 'standard-geoparquet'; readonly setup: StageSetup };

/** Main thread to worker. */
export type ToWriter = { type: 'batch'; batch: StandardBatch; keep: Uint8Array } | { type: 'points'; batch: PointBatch } | { type: 'finish' } | { type: 'close' };
/** Worker to main thread. */
export type FromWriter = { type: 'chunk'; chunk: Uint8Array } | { type: 'done'; buffers?: ArrayBuffer[] } | { type: 'finished'; result?: unknown } | { type: 'error'; message: string };

interface ThreadWriter {
  write(batch: StandardBatch, keep: Uint8Array): Promise<void>;
  writePoints?(batch: PointBatch): Promise<void>;
  finish(): Promise<unknown>;
}

const port = parentPort;
if (port !== null) {
  const data = workerData as WriterThreadData;
  // Both writers hand the sink a fresh buffer per chunk and never touch it again: it can move.
  const sink = { write: (chunk: Uint8Array) => port.postMessage({ type: 'chunk', chunk } satisfies FromWriter, [chunk.buffer as ArrayBuffer]) };
  let writer: ThreadWriter;
  let queue: Promise<unknown> = Promise.resolve();
  if (data.kind === 'standard-geoparquet') {
    // The coverage thread first: it starts while this one loads the rest.
    const coverage = new (await import('./threaded-coverage.js')).ThreadedCoverage();
    const [{ StandardStage }, { GeoparquetWriter }] = await Promise.all([import('./standard-stage.js'), import('../geoparquet/geoparquet-writer.js')]);
    const stage = new StandardStage(data.setup, (fields, text) => [new GeoparquetWriter(sink, fields, text)], coverage);
    writer = { write: () => Promise.reject(new Error('a standard-geoparquet thread takes points')), writePoints: (batch) => stage.add(batch), finish: () => stage.finish() };
  } else if (data.kind === 'geojson') {
    const geojson = new (await import('./geojson-writer.js')).StandardGeojsonWriter(sink, data.fields, data.text);
    queue = geojson.start();
    writer = geojson;
  } else writer = new (await import('../geoparquet/geoparquet-writer.js')).GeoparquetWriter(sink, data.fields, data.text);
  port.on('message', (message: ToWriter) => {
    // Closing the port empties the event loop: the thread ends on its own (see ThreadedWriter.finish).
    if (message.type === 'close') return port.close();
    queue = queue
      .then(async () => {
        if (message.type === 'batch') {
          await writer.write(message.batch, message.keep);
          port.postMessage({ type: 'done' } satisfies FromWriter);
        } else if (message.type === 'points') {
          const { batch } = message;
          await writer.writePoints!(batch);
          // The stage copied what it keeps: the buffers go back to the sender for the next batch.
          const buffers = [batch.lon, batch.lat, batch.time, ...batch.values].map((a) => a.buffer as ArrayBuffer);
          port.postMessage({ type: 'done', buffers } satisfies FromWriter, buffers);
        } else {
          const result = await writer.finish();
          // A stage's coverage outline moves rather than being copied.
          const outline = (result as Partial<StageResult> | undefined)?.coverage;
          const transfer = outline === undefined ? [] : [outline.structure.buffer as ArrayBuffer, outline.coordinates.buffer as ArrayBuffer];
          port.postMessage({ type: 'finished', result } satisfies FromWriter, transfer);
        }
      })
      .catch((error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies FromWriter));
  });
}
