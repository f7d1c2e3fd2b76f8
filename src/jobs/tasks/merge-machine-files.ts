import { Type } from '@sinclair/typebox';
import type { MachineFilesService } from '../../services/machine-files.js';
import { defineTask } from '../define-task.js';

/**
 * Builds a merged file from its sources (POST /files/merge). Safe to rerun: a merged file that
 * is no longer `processing` is left alone, and outputs replace each other atomically.
 */
export const mergeMachineFiles = (machineFiles: MachineFilesService) =>
  defineTask({
    name: 'merge-machine-files',
    payload: Type.Object({ fileId: Type.String({ minLength: 1 }) }),
    async run({ fileId }, { signal, attempt, maxAttempts }) {
      try {
        await machineFiles.processMerge(fileId, signal);
      } catch (error) {
        if (attempt >= maxAttempts && !signal.aborted) await machineFiles.failMerge(fileId);
        throw error;
      }
    },
  });
