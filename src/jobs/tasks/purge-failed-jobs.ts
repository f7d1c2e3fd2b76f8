import { Type } from '@sinclair/typebox';
import { defineTask } from '../define-task.js';
import type { ScheduleDefinition } from '../queue.js';

const DAY_MS = 86_400_000;

/**
 * Deletes jobs that failed for good longer ago than the retention period. Failed jobs stay
 * visible so operators can see what gave up and why; this keeps them from piling up forever.
 * Idempotent: a rerun deletes nothing more than the first run left.
 */
export const purgeFailedJobs = defineTask({
  name: 'purge-failed-jobs',
  payload: Type.Object({ olderThanDays: Type.Integer({ minimum: 1, maximum: 3650 }) }),
  async run({ olderThanDays }, { queue, logger }) {
    const olderThan = new Date(Date.now() - olderThanDays * DAY_MS);
    const purged = await queue.purgeFailedJobs(olderThan);
    logger.info({ purged, olderThan: olderThan.toISOString() }, `purged ${purged} failed job(s) older than ${olderThanDays} days`);
  },
});

/** Daily at 03:30 UTC, keeping 30 days of failures, the same as the credential events log. */
export const purgeFailedJobsDaily: ScheduleDefinition<'purge-failed-jobs', { olderThanDays: number }> = {
  name: 'purge-failed-jobs-daily',
  task: 'purge-failed-jobs',
  payload: { olderThanDays: 30 },
  everyMs: DAY_MS,
  offsetMs: 3.5 * 3_600_000,
};
