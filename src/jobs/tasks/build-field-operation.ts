import { Type } from '@sinclair/typebox';
import type { FieldOperationsService } from '../../services/field-operations.js';
import { defineTask } from '../define-task.js';

/**
 * Builds one operation's summary, units, coverage and outputs from its files' logs. A build whose
 * operation changed meanwhile writes nothing (the newer revision has its own job); after the last
 * attempt the operation is marked failed with the error.
 */
export const buildFieldOperation = (operations: FieldOperationsService) =>
  defineTask({
    name: 'build-field-operation',
    payload: Type.Object({ operationId: Type.String({ minLength: 1 }) }),
    async run({ operationId }, { signal, attempt, maxAttempts, logger }) {
      try {
        await operations.buildOperation(operationId, signal);
      } catch (error) {
        if (attempt >= maxAttempts && !signal.aborted) {
          logger.error({ operationId, err: error }, 'field operation build failed for good');
          await operations.failBuild(operationId, error instanceof Error ? error.message : String(error));
        }
        throw error;
      }
    },
  });
