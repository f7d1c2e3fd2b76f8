import type { FieldOperationJobs } from '../services/field-operations.js';
import type { JobQueue } from './queue.js';

/**
 * At most one pending refresh per user and one pending build per operation: a burst of files or
 * boundary edits coalesces into one run (a refresh reads the state when it runs, not its payload).
 */
export const refreshJobKey = (leafUserId: string) => `refresh-field-operations:${leafUserId}`;
export const buildJobKey = (operationId: string) => `build-field-operation:${operationId}`;

export const FIELD_OPERATION_JOB_ATTEMPTS = 5;

/** The field-operations service's jobs on a queue, looked up on each call (services are built first). */
export function fieldOperationJobsOn(queue: () => JobQueue): FieldOperationJobs {
  return {
    async refresh(ownerId, leafUserId, delayMs) {
      await queue().enqueue('refresh-field-operations', { ownerId, leafUserId }, {
        key: refreshJobKey(leafUserId),
        maxAttempts: FIELD_OPERATION_JOB_ATTEMPTS,
        ...(delayMs === undefined ? {} : { runAt: new Date(Date.now() + delayMs) }),
      });
    },
    async build(operationId) {
      await queue().enqueue('build-field-operation', { operationId }, { key: buildJobKey(operationId), maxAttempts: FIELD_OPERATION_JOB_ATTEMPTS });
    },
  };
}
