import { Type } from '@sinclair/typebox';
import { isFurrowError } from '../../domain/index.js';
import type { CredentialsService } from '../../services/credentials.js';
import { defineTask } from '../define-task.js';

/**
 * Refreshes one credential ahead of its access token's expiry, or keeps an idle one alive. Safe to
 * run twice or in several processes at once: the service refreshes only under the row's lease and
 * only when still due. A transient provider failure throws, so the queue retries with backoff; a
 * rejected grant does not (the status says UNAUTHENTICATED and only the grower can fix it).
 */
export const refreshCredential = (credentials: CredentialsService) =>
  defineTask({
    name: 'refresh-credential',
    payload: Type.Object({
      credentialId: Type.String({ minLength: 1 }),
      force: Type.Optional(Type.Boolean()),
      requestedAt: Type.Optional(Type.String({ minLength: 1, description: 'ISO time; a refresh completed after it satisfies this job.' })),
    }),
    async run({ credentialId, force, requestedAt }, { logger }) {
      try {
        const result = await credentials.refresh(credentialId, { force: force ?? false, requestedAt });
        logger.debug({ credentialId, refreshed: result.refreshed, status: result.record.status }, 'credential refresh');
      } catch (error) {
        // Deleted since the job was scheduled: nothing left to refresh.
        if (isFurrowError(error, 'not_found')) return;
        throw error;
      }
    },
  });
