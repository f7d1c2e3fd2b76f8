import { Type } from '@sinclair/typebox';
import type { MagicLinksService } from '../../services/magic-links.js';
import { defineTask } from '../define-task.js';
import type { ScheduleDefinition } from '../queue.js';

/** Deletes OAuth states and widget sessions a day past their expiry, and Magic Links expired or deleted over 30 days ago. Idempotent. */
export const purgeMagicLinks = (magicLinks: Pick<MagicLinksService, 'purge'>) =>
  defineTask({
    name: 'purge-magic-links',
    payload: Type.Object({}),
    async run(_payload, { logger }) {
      const purged = await magicLinks.purge();
      logger.info(purged, `purged ${purged.states} expired OAuth state(s) and ${purged.links} Magic Link(s) or widget session(s)`);
    },
  });

/** Daily at 03:45 UTC. */
export const purgeMagicLinksDaily: ScheduleDefinition<'purge-magic-links', Record<string, never>> = {
  name: 'purge-magic-links-daily',
  task: 'purge-magic-links',
  payload: {},
  everyMs: 86_400_000,
  offsetMs: 3.75 * 3_600_000,
};
