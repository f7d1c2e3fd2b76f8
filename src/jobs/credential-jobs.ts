import type { CredentialJobs } from '../services/credentials.js';
import type { JobQueue } from './queue.js';

/** The refresh job's key: at most one pending refresh per credential. */
export const refreshJobKey = (credentialId: string) => `refresh-credential:${credentialId}`;

/**
 * The credentials service's jobs on a queue. The queue is looked up on each call because services
 * are built before the queue (the queue's tasks need the services).
 */
export function credentialJobsOn(queue: () => JobQueue): CredentialJobs {
  return {
    async scheduleRefresh(credentialId, runAt, options = {}) {
      const payload = options.force === true ? { credentialId, force: true } : { credentialId };
      await queue().enqueue('refresh-credential', payload, { key: refreshJobKey(credentialId), runAt, ...(options.within !== undefined && { within: options.within }) });
    },
    async cancel(credentialId) {
      await queue().cancel(refreshJobKey(credentialId));
    },
  };
}
