/**
 * Several repository writes in one database transaction: a state change and the alerts it raises
 * commit together or not at all (SPEC section 9), so an alert is never lost and never sent for a
 * change that rolled back. Repositories take an optional `UnitOfWork` and then run their
 * statements on its transaction.
 *
 * Inside the work, every statement must go through `uow.db`: on SQLite the transaction holds the
 * only connection, so a statement on the outer Kysely instance (or the job queue, or a nested
 * `transact`) would wait for the transaction, which waits for it. Work that must not run unless the
 * change committed, such as waking the outbox's workers, goes in `afterCommit`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export interface UnitOfWork {
  /** The transaction; pass the unit of work to repositories rather than using this directly. */
  readonly db: Transaction<Database>;
  /** Runs `task` once the transaction committed; never after a rollback. */
  afterCommit(task: () => void | Promise<void>): void;
}

/** Runs `work` in one transaction and returns its result; a throw rolls everything back. */
export type Transact = <T>(work: (uow: UnitOfWork) => Promise<T>) => Promise<T>;

export function transactor(db: Kysely<Database>): Transact {
  return async <T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> => {
    const after: (() => void | Promise<void>)[] = [];
    const result = await db.transaction().execute((trx) => work({ db: trx, afterCommit: (task) => void after.push(task) }));
    for (const task of after) {
      // The change is committed: a follow-up failing must not turn it into an error for the
      // caller. Follow-ups own their failures (the outbox's wake-up logs and has a sweeper).
      try {
        await task();
      } catch {
        // See above.
      }
    }
    return result;
  };
}
