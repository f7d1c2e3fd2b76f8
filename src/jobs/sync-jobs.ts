import type { SyncJobs } from '../services/sync.js';
import type { JobQueue } from './queue.js';

/** The sync job's key: at most one pending sync per credential. */
export const syncJobKey = (credentialId: string) => `sync:${credentialId}`;

/**
 * The sync service's jobs on a queue, looked up on each call because services are built before
 * the queue (the queue's tasks need the services).
 */
export function syncJobsOn(queue: () => JobQueue): SyncJobs {
  return {
    async syncCredential(credentialId) {
      await queue().enqueue('sync-credential', { credentialId }, { key: syncJobKey(credentialId) });
    },
  };
}
