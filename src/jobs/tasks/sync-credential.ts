import { Type } from '@sinclair/typebox';
import type { SyncService } from '../../services/sync.js';
import { defineTask } from '../define-task.js';

/**
 * Syncs one credential's growers, farms, fields and boundaries. Safe to rerun: records are written
 * by natural key and unchanged ones are skipped, so a run that died is resumed by the next one,
 * not duplicated. A provider failure throws and the queue retries with backoff; the failed run
 * stays recorded with its error.
 */
export const syncCredential = (sync: SyncService) =>
  defineTask({
    name: 'sync-credential',
    payload: Type.Object({ credentialId: Type.String({ minLength: 1 }) }),
    async run({ credentialId }, { signal, logger }) {
      const run = await sync.syncCredential(credentialId, { signal });
      logger.debug({ credentialId, status: run?.status, counts: run?.counts }, 'credential sync');
    },
  });
