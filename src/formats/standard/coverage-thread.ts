/**
 * Worker-thread entry for `ThreadedCoverage`: a `CoverageGrid` fed the swaths of each batch, which
 * traces the outline when told to finish. Each batch is acknowledged once rasterised, so the sender
 * can bound how many are in flight.
 */
import { parentPort } from 'node:worker_threads';
import { CoverageGrid, type CoverageOutline } from './coverage.js';

/** The swaths of one batch (`CoverageGrid.addSwaths` arguments). */
export interface SwathBatch {
  readonly n: number;
  readonly prevLon: Float64Array;
  readonly prevLat: Float64Array;
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly width: Float64Array;
  readonly covered: Uint8Array;
}

export type ToCoverage = { type: 'swaths'; swaths: SwathBatch } | { type: 'finish' } | { type: 'close' };
export type FromCoverage = { type: 'done'; buffers: ArrayBuffer[] } | { type: 'finished'; outline: CoverageOutline } | { type: 'error'; message: string };

const port = parentPort;
if (port !== null) {
  const grid = new CoverageGrid();
  port.on('message', (message: ToCoverage) => {
    // Closing the port empties the event loop: the thread ends on its own (see ThreadedCoverage.finish).
    if (message.type === 'close') return port.close();
    try {
      if (message.type === 'swaths') {
        const s = message.swaths;
        grid.addSwaths(s.prevLon, s.prevLat, s.lon, s.lat, s.width, s.covered, s.n);
        // Back to the sender for the next batch.
        const buffers = [s.prevLon, s.prevLat, s.lon, s.lat, s.width, s.covered].map((a) => a.buffer as ArrayBuffer);
        port.postMessage({ type: 'done', buffers } satisfies FromCoverage, buffers);
      } else {
        const outline = grid.finish();
        port.postMessage({ type: 'finished', outline } satisfies FromCoverage, [outline.structure.buffer as ArrayBuffer, outline.coordinates.buffer as ArrayBuffer]);
      }
    } catch (error) {
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies FromCoverage);
    }
  });
}
