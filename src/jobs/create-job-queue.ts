import type { Storage } from '../storage/database.js';
import { PostgresJobQueue } from './postgres/index.js';
import type { JobQueue, JobQueueOptions, JobsConfig, QueueLogger, TaskList } from './queue.js';
import { SqliteJobQueue } from './sqlite/index.js';

/**
 * The queue for the storage in use: the SQLite queue for the embedded default, graphile-worker
 * on PostgreSQL for the distributed mode. Nothing starts until `start()`; enqueueing works at once.
 * @example
 * const queue = createJobQueue(storage, config.jobs, createTasks(services), logger.child({ component: 'jobs' }));
 * for (const s of schedules) queue.schedule(s);
 * await queue.start({ concurrency: config.workers });
 * // ... on shutdown: await queue.close(); await storage.close();
 */
export function createJobQueue<T extends TaskList>(
  storage: Storage,
  config: JobsConfig,
  tasks: T,
  logger: QueueLogger,
  options: JobQueueOptions = {},
): JobQueue<T> {
  return storage.dialect.kind === 'postgres'
    ? new PostgresJobQueue(storage, config, tasks, logger, options)
    : new SqliteJobQueue(storage, config, tasks, logger, options);
}
