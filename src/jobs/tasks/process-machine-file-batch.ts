import { Type } from '@sinclair/typebox';
import type { MachineFilesService } from '../../services/machine-files.js';
import { defineTask } from '../define-task.js';

/**
 * Converts the files of one upload batch. Safe to rerun: files already made are found by their
 * natural key and only unfinished ones are converted. A broken upload ends the batch FAILED
 * without an error; an unexpected error is retried, and after the last attempt the batch fails
 * with Leaf's "internal error" details.
 */
export const processMachineFileBatch = (machineFiles: MachineFilesService) =>
  defineTask({
    name: 'process-machine-file-batch',
    payload: Type.Object({ batchId: Type.String({ minLength: 1 }) }),
    async run({ batchId }, { signal, attempt, maxAttempts, logger }) {
      try {
        await machineFiles.processBatch(batchId, signal);
      } catch (error) {
        if (attempt >= maxAttempts && !signal.aborted) {
          logger.error({ batchId, err: error }, 'machine-file batch failed for good');
          await machineFiles.failBatch(batchId, error instanceof Error ? error.message : String(error));
        }
        throw error;
      }
    },
  });
