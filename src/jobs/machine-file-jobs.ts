import type { MachineFileJobs } from '../services/machine-files.js';
import type { JobQueue } from './queue.js';

/** At most one pending processing job per batch, and per merged file. */
export const batchJobKey = (batchId: string) => `process-machine-file-batch:${batchId}`;
export const mergeJobKey = (fileId: string) => `merge-machine-files:${fileId}`;

/** Attempts before a batch or merge fails for good ("Leaf internal error"). */
export const MACHINE_FILE_JOB_ATTEMPTS = 5;

/**
 * The machine-files service's jobs on a queue, looked up on each call because services are built
 * before the queue (the queue's tasks need the services).
 */
export function machineFileJobsOn(queue: () => JobQueue): MachineFileJobs {
  return {
    async processBatch(batchId) {
      await queue().enqueue('process-machine-file-batch', { batchId }, { key: batchJobKey(batchId), maxAttempts: MACHINE_FILE_JOB_ATTEMPTS });
    },
    async processMerge(fileId) {
      await queue().enqueue('merge-machine-files', { fileId }, { key: mergeJobKey(fileId), maxAttempts: MACHINE_FILE_JOB_ATTEMPTS });
    },
  };
}
