import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { FurrowError, type FieldError } from '../domain/errors.js';
import type { TaskDefinition, TaskList } from './queue.js';

/** Whether a payload matches its task's schema, with each mismatch named when it does not. */
export type PayloadCheck = { valid: true } | { valid: false; fieldErrors: FieldError[] };

/** A task with its payload checker compiled once. */
export interface CompiledTask {
  readonly definition: TaskDefinition;
  check(payload: unknown): PayloadCheck;
}

const TASK_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Compiles each task's payload schema once (TypeBox's compiled checkers are an order of magnitude
 * faster than interpreting the schema per job) and checks that the list is keyed by task name.
 */
export function compileTasks(tasks: TaskList): Map<string, CompiledTask> {
  const compiled = new Map<string, CompiledTask>();
  for (const [key, definition] of Object.entries(tasks)) {
    if (definition.name !== key) {
      throw new FurrowError('internal_error', `Task list entry "${key}" holds the task named "${definition.name}"; expected the key to equal the task name (= its file name under src/jobs/tasks/). Fix the registry line.`);
    }
    if (!TASK_NAME.test(key)) {
      throw new FurrowError('internal_error', `Task name "${key}" is not kebab-case; expected the file name of the task under src/jobs/tasks/, e.g. "refresh-credential".`);
    }
    const checker: TypeCheck<TSchema> = TypeCompiler.Compile(definition.payload);
    compiled.set(key, {
      definition,
      check(payload) {
        if (checker.Check(payload)) return { valid: true };
        const fieldErrors = [...checker.Errors(payload)].slice(0, 10).map((e) => ({
          field: `payload${e.path.replaceAll('/', '.')}`,
          message: e.message,
        }));
        return { valid: false, fieldErrors };
      },
    });
  }
  return compiled;
}

/** The enqueue-side boundary: an unknown task or a payload that does not match fails the caller. */
export function assertEnqueueable(tasks: Map<string, CompiledTask>, task: string, payload: unknown): void {
  const compiled = tasks.get(task);
  if (compiled === undefined) {
    throw new FurrowError('internal_error', `Cannot enqueue task "${task}": this queue was built without it; expected one of ${[...tasks.keys()].join(', ')}. Add it to src/jobs/tasks/index.ts.`);
  }
  const check = compiled.check(payload);
  if (!check.valid) {
    throw new FurrowError('validation_failed', `Cannot enqueue task "${task}": the payload does not match the task's schema (${describeFieldErrors(check.fieldErrors)}).`, { fieldErrors: check.fieldErrors });
  }
}

/** `payload.a: Expected string; payload.b: ...`, for error messages and `last_error`. */
export function describeFieldErrors(fieldErrors: FieldError[]): string {
  return fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
