import type { ProviderFileJobs } from '../services/provider-file-downloads.js';
import type { JobQueue } from './queue.js';

/** At most one pending download per provider file of a credential; a newer listing replaces its payload. */
export const providerFileJobKey = (credentialId: string, providerFileId: string) => `provider-file:${credentialId}:${providerFileId}`;

/** [I] Attempts of a download before the file is marked failed: the queue's backoff spreads them over about an hour. */
export const PROVIDER_FILE_JOB_ATTEMPTS = 8;

/**
 * The sync's download jobs on a queue, looked up on each call because services are built before
 * the queue (the queue's tasks need the services).
 */
export function providerFileJobsOn(queue: () => JobQueue): ProviderFileJobs {
  return {
    async downloadProviderFile(job, options = {}) {
      await queue().enqueue('download-provider-file', job, { key: providerFileJobKey(job.credentialId, job.providerId), maxAttempts: PROVIDER_FILE_JOB_ATTEMPTS, ...(options.runAt === undefined ? {} : { runAt: options.runAt }) });
    },
  };
}
