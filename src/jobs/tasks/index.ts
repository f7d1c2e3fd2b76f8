/** @module Every task the workers run, keyed by task id (= its file name here); a test checks each file is listed. */
import type { Services } from '../../services/index.js';
import type { TaskList } from '../queue.js';
import { purgeFailedJobs, purgeFailedJobsDaily } from './purge-failed-jobs.js';

/**
 * The task list for `createJobQueue`. Tasks that call use cases get them from `services` here,
 * so each task file declares what it needs and the queue itself knows no service.
 */
export function createTasks(_services: Services) {
  return {
    'purge-failed-jobs': purgeFailedJobs,
  } satisfies TaskList;
}

/** Furrow's task list as the queue sees it: task names and payload types for `enqueue`. */
export type FurrowTasks = ReturnType<typeof createTasks>;

/** Recurring jobs every worker process registers with `queue.schedule()` before `start()`. */
export const schedules = [purgeFailedJobsDaily] as const;
