import { Type } from '@sinclair/typebox';
import type { SyncScheduleService } from '../../services/sync-schedule.js';
import { SYNC_SPREAD_PERIOD_MS } from '../../services/sync-schedule.js';
import { defineTask } from '../define-task.js';
import type { ScheduleDefinition } from '../queue.js';

/**
 * Queues the credential syncs due in this quarter hour (their daily slot, or a catch-up). Safe to
 * rerun: each sync is queued with the credential's key, so a second pass leaves one pending sync.
 * The decision uses the period's start (`runAt`), so a late or repeated run decides the same way.
 */
export const enqueueScheduledSyncs = (schedule: SyncScheduleService) =>
  defineTask({
    name: 'enqueue-scheduled-syncs',
    payload: Type.Object({}),
    async run(_payload, { runAt, logger }) {
      const queued = await schedule.enqueueDue(runAt.getTime());
      logger.info(queued, `scheduled syncs: ${queued.dailySlot} at their daily slot, ${queued.catchUp} caught up, of ${queued.checked} credentials`);
    },
  });

/** Every quarter hour: the day's syncs spread over 96 periods. */
export const enqueueScheduledSyncsEvery15m: ScheduleDefinition<'enqueue-scheduled-syncs', Record<string, never>> = {
  name: 'enqueue-scheduled-syncs-every-15m',
  task: 'enqueue-scheduled-syncs',
  payload: {},
  everyMs: SYNC_SPREAD_PERIOD_MS,
};
