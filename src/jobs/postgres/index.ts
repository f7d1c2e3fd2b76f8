/** @module The distributed job queue: graphile-worker on PostgreSQL, plus heartbeats that free a dead worker's jobs. */
export { PostgresJobQueue } from './postgres-job-queue.js';
export { installPostgresQueueSchema, QUEUE_SCHEMA } from './postgres-queue-schema.js';
export { WorkerLiveness } from './worker-liveness.js';
