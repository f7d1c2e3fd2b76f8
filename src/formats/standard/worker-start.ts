/**
 * Starts one of this folder's worker-thread entries, from the compiled build or from TypeScript.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';

/** `entry` is the file name without extension, beside `from` (the caller's `import.meta.url`). */
export function startWorker(entry: string, from: string, workerData: unknown, transferList: TransferListItem[] = []): Worker {
  // A module tsx loaded inside a worker has a query on its URL (`?tsx-namespace=...`).
  if (new URL(from).pathname.endsWith('.ts')) {
    // Running from TypeScript sources (tsx, vitest): Node 20 does not apply the main thread's
    // loader hooks to workers, so the worker loads its entry through tsx's own API.
    const url = JSON.stringify(new URL(`./${entry}.ts`, from).href);
    return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${url}, ${url}))`, { eval: true, workerData, transferList });
  }
  return new Worker(new URL(`./${entry}.js`, from), { workerData, transferList });
}
