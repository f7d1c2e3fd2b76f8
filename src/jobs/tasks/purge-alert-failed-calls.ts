import { Type } from '@sinclair/typebox';
import type { AlertsService } from '../../services/alerts.js';
import { defineTask } from '../define-task.js';
import type { ScheduleDefinition } from '../queue.js';

/** Deletes failed-call records older than 30 days, as credential events are kept. Idempotent. */
export const purgeAlertFailedCalls = (alerts: AlertsService) =>
  defineTask({
    name: 'purge-alert-failed-calls',
    payload: Type.Object({}),
    async run(_payload, { logger }) {
      const purged = await alerts.purgeFailedCalls();
      logger.info({ purged }, `purged ${purged} failed alert call(s) older than 30 days`);
    },
  });

/** Daily at 03:45 UTC. */
export const purgeAlertFailedCallsDaily: ScheduleDefinition<'purge-alert-failed-calls', Record<string, never>> = {
  name: 'purge-alert-failed-calls-daily',
  task: 'purge-alert-failed-calls',
  payload: {},
  everyMs: 86_400_000,
  offsetMs: 3.75 * 3_600_000,
};
