import type { TSchema } from '@sinclair/typebox';
import type { TaskDefinition } from './queue.js';

/**
 * Declares a task so that `run` gets its payload type from the schema.
 * @example
 * export const refreshCredential = defineTask({
 *   name: 'refresh-credential',
 *   payload: Type.Object({ credentialId: Type.String() }),
 *   async run({ credentialId }, { signal }) { ... },
 * });
 */
export function defineTask<S extends TSchema>(task: TaskDefinition<S>): TaskDefinition<S> {
  return task;
}
