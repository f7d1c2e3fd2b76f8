/** @module The embedded job queue: jobs in the SQLite data file, claimed with leases, woken in-process. */
export { SqliteJobQueue } from './sqlite-job-queue.js';
export { installSqliteQueueSchema } from './sqlite-queue-schema.js';
