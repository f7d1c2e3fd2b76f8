import { Type } from '@sinclair/typebox';
import type { FieldOperationsService } from '../../services/field-operations.js';
import { defineTask } from '../define-task.js';

/**
 * Allocates a user's new (or touched) processed files to fields and regroups their operations,
 * queueing a build for each operation that changed. Idempotent: it works from the stored state, so
 * a rerun after a crash finds what is left.
 */
export const refreshFieldOperations = (operations: FieldOperationsService) =>
  defineTask({
    name: 'refresh-field-operations',
    payload: Type.Object({ ownerId: Type.String({ minLength: 1 }), leafUserId: Type.String({ minLength: 1 }) }),
    async run({ ownerId, leafUserId }, { signal }) {
      await operations.refreshUser(ownerId, leafUserId, signal);
    },
  });
