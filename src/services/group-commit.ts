/**
 * Group commit: writes submitted while a commit is in flight wait for it, then share the next
 * transaction, written by one call of `writeBatch` (which can write them with one statement per
 * table rather than one per write). Under load a transaction's fixed cost (BEGIN and COMMIT, on
 * SQLite the WAL pages a commit writes, on PostgreSQL the round trips) is paid once per batch
 * instead of once per write; a write submitted on a quiet process starts its transaction on the
 * next turn of the event loop, as it would have alone.
 *
 * Each write still commits atomically, because it commits with its batch. If the batch throws, it
 * rolls back and every write is tried again alone, in a transaction of its own, so only a write
 * that fails by itself sees an error: `writeBatch` must only write through the unit of work.
 */
import type { Transact, UnitOfWork } from '../storage/unit-of-work.js';

interface Pending<I, R> {
  item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export function groupCommit<I, R>(
  transact: Transact,
  writeBatch: (items: I[], uow: UnitOfWork) => Promise<R[]>,
  options: { maxBatch?: number } = {},
): (item: I) => Promise<R> {
  const maxBatch = options.maxBatch ?? 64;
  const pending: Pending<I, R>[] = [];
  let running = false;

  const write = async (batch: Pending<I, R>[]): Promise<boolean> => {
    let results: R[];
    try {
      results = await transact((uow) => writeBatch(batch.map((p) => p.item), uow));
    } catch (error) {
      if (batch.length > 1) return false;
      batch[0]!.reject(error);
      return true;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
    return true;
  };

  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.splice(0, maxBatch);
      if (!(await write(batch))) for (const p of batch) await write([p]);
    }
    running = false;
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!running) {
        running = true;
        setImmediate(() => void flush());
      }
    });
}
