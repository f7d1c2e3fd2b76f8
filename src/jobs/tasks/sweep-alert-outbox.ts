import { Type } from '@sinclair/typebox';
import type { AlertsService } from '../../services/alerts.js';
import { defineTask } from '../define-task.js';
import type { ScheduleDefinition } from '../queue.js';

/**
 * The outbox's safety net: wakes the drain of every webhook whose next delivery is due and whose
 * lease is free. Deliveries are woken right after their commit; this catches wake-ups lost to a
 * process that died between the commit and the enqueue, or in the middle of a drain. Idempotent.
 */
export const sweepAlertOutbox = (alerts: AlertsService) =>
  defineTask({
    name: 'sweep-alert-outbox',
    payload: Type.Object({}),
    async run(_payload, { logger }) {
      const woken = await alerts.wakeDueDrains();
      if (woken > 0) logger.info({ woken }, `woke ${woken} alert drain(s) that were due and idle`);
    },
  });

/** Every 30 s: the longest a lost wake-up delays an alert. */
export const sweepAlertOutboxEvery30s: ScheduleDefinition<'sweep-alert-outbox', Record<string, never>> = {
  name: 'sweep-alert-outbox-every-30s',
  task: 'sweep-alert-outbox',
  payload: {},
  everyMs: 30_000,
};
