import { Type } from '@sinclair/typebox';
import { isFurrowError } from '../../domain/index.js';
import type { ProviderFileDownloads } from '../../services/provider-file-downloads.js';
import { defineTask } from '../define-task.js';

/** The file as the sync listed it; the same shape `ProviderFileJob` types on the enqueue side. */
export const DownloadProviderFilePayload = Type.Object({
  credentialId: Type.String({ minLength: 1 }),
  providerId: Type.String({ minLength: 1 }),
  organizationId: Type.String(),
  name: Type.String(),
  format: Type.String(),
  size: Type.Number({ minimum: 0 }),
  operationType: Type.Optional(Type.Union([Type.Literal('harvested'), Type.Literal('planted'), Type.Literal('applied'), Type.Literal('tillage'), Type.Literal('other')])),
  version: Type.String(),
  /** "Still preparing" answers of an asynchronous export so far: the job queued itself again after each. */
  polls: Type.Optional(Type.Integer({ minimum: 0 })),
});

/**
 * Downloads one provider machine file a sync listed, stores it and queues its processing. Safe to
 * rerun and to race: the file's batch is keyed by its natural key, so a second run finds it, and
 * of two workers only one inserts it. A transient provider failure throws and the queue retries
 * with backoff; a permanent one, or the last attempt's failure, leaves the file failed with the
 * reason in its status.
 */
export const downloadProviderFile = (downloads: ProviderFileDownloads) =>
  defineTask({
    name: 'download-provider-file',
    payload: DownloadProviderFilePayload,
    async run(job, { signal, attempt, maxAttempts, logger }) {
      try {
        const outcome = await downloads.download(job, { signal, finalAttempt: attempt >= maxAttempts });
        logger.debug({ credentialId: job.credentialId, providerFileId: job.providerId, outcome }, 'provider file download');
      } catch (error) {
        // The credential was deleted since the sync listed the file: nothing left to download for.
        if (isFurrowError(error, 'not_found')) return;
        throw error;
      }
    },
  });
