import { Type } from '@sinclair/typebox';
import type { AlertsService } from '../../services/alerts.js';
import { defineTask } from '../define-task.js';

/**
 * Delivers one webhook's due alerts, in order, under the webhook's drain lease (services/alerts.ts).
 * Safe to run twice or in several processes at once: a second drain hands over to the lease holder.
 * Failed deliveries are retried by the outbox's own schedule, not by this job's retries; the job
 * throws (and is retried with backoff) only when the database fails.
 */
export const deliverAlerts = (alerts: AlertsService) =>
  defineTask({
    name: 'deliver-alerts',
    payload: Type.Object({ webhookId: Type.String({ minLength: 1 }) }),
    async run({ webhookId }, { signal, logger }) {
      const report = await alerts.drain(webhookId, { signal });
      logger.debug({ webhookId, ...report }, 'alert drain');
    },
  });
