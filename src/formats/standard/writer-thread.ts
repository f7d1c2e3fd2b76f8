/**
 * Worker-thread entry for `ThreadedWriter`: runs one output writer (standardGeojson or GeoParquet)
 * on the batches the main thread posts, and posts the output chunks back in order. Batches are
 * handled one at a time; each is acknowledged once written, so the main thread can bound how many
 * are in flight.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StandardBatch, StandardField, StandardText } from './standardize.js';

export type WriterKind = 'geojson' | 'geoparquet';

export interface WriterThreadData {
  readonly kind: WriterKind;
  readonly fields: readonly StandardField[];
  readonly text: StandardText;
}

/** Main thread to worker. */
export type ToWriter = { type: 'batch'; batch: StandardBatch; keep: Uint8Array } | { type: 'finish' };
/** Worker to main thread. */
export type FromWriter = { type: 'chunk'; chunk: Uint8Array } | { type: 'done' } | { type: 'finished' } | { type: 'error'; message: string };

const port = parentPort;
if (port !== null) {
  const { kind, fields, text } = workerData as WriterThreadData;
  // Both writers hand the sink a fresh buffer per chunk and never touch it again: it can move.
  const sink = { write: (chunk: Uint8Array) => port.postMessage({ type: 'chunk', chunk } satisfies FromWriter, [chunk.buffer as ArrayBuffer]) };
  const writer = kind === 'geojson'
    ? new (await import('./geojson-writer.js')).StandardGeojsonWriter(sink, fields, text)
    : new (await import('../geoparquet/geoparquet-writer.js')).GeoparquetWriter(sink, fields, text);
  let queue: Promise<void> = kind === 'geojson' ? (writer as { start(): Promise<void> }).start() : Promise.resolve();
  port.on('message', (message: ToWriter) => {
    queue = queue
      .then(async () => {
        if (message.type === 'batch') {
          await writer.write(message.batch, message.keep);
          port.postMessage({ type: 'done' } satisfies FromWriter);
        } else {
          await writer.finish();
          port.postMessage({ type: 'finished' } satisfies FromWriter);
        }
      })
      .catch((error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies FromWriter));
  });
}
