import { Type } from '@sinclair/typebox';
import type { CredentialsService } from '../../services/credentials.js';
import { defineTask } from '../define-task.js';
import type { ScheduleDefinition } from '../queue.js';

/** Deletes credential events older than 30 days (SPEC section 5). Idempotent. */
export const purgeCredentialEvents = (credentials: CredentialsService) =>
  defineTask({
    name: 'purge-credential-events',
    payload: Type.Object({}),
    async run(_payload, { logger }) {
      const purged = await credentials.purgeEvents();
      logger.info({ purged }, `purged ${purged} credential event(s) older than 30 days`);
    },
  });

/** Daily at 03:15 UTC. */
export const purgeCredentialEventsDaily: ScheduleDefinition<'purge-credential-events', Record<string, never>> = {
  name: 'purge-credential-events-daily',
  task: 'purge-credential-events',
  payload: {},
  everyMs: 86_400_000,
  offsetMs: 3.25 * 3_600_000,
};
