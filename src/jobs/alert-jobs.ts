import type { AlertJobs } from '../services/alerts.js';
import type { JobQueue } from './queue.js';

/** The drain job's key: at most one pending drain per webhook (a new wake-up replaces its run time). */
export const alertDrainJobKey = (webhookId: string) => `deliver-alerts:${webhookId}`;

/**
 * The alerts service's jobs on a queue, looked up on each call because services are built before
 * the queue (the queue's tasks need the services).
 */
export function alertJobsOn(queue: () => JobQueue): AlertJobs {
  return {
    async wake(webhookId, runAt) {
      await queue().enqueue('deliver-alerts', { webhookId }, { key: alertDrainJobKey(webhookId), ...(runAt === undefined ? {} : { runAt }) });
    },
    async cancel(webhookId) {
      await queue().cancel(alertDrainJobKey(webhookId));
    },
  };
}
