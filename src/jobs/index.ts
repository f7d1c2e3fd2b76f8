/** @module The worker edge: the durable job queue interface, its SQLite and PostgreSQL implementations, and the task files. */
export { createJobQueue } from './create-job-queue.js';
export { defineTask } from './define-task.js';
export { PermanentJobError, isPermanentJobError } from './permanent-job-error.js';
export { backoffDelayMs } from './backoff-delay.js';
export type {
  EnqueueOptions,
  JobInfo,
  JobQueue,
  JobQueueOptions,
  JobState,
  JobsConfig,
  PayloadOf,
  QueueHealth,
  QueueLogger,
  ScheduleDefinition,
  StartOptions,
  TaskContext,
  TaskDefinition,
  TaskList,
  TaskName,
} from './queue.js';
export { createTasks, schedules, type FurrowTasks } from './tasks/index.js';
