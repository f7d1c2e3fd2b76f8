import { backoffDelayMs } from './backoff-delay.js';
import { describeFieldErrors, type CompiledTask } from './compile-tasks.js';
import { isPermanentJobError } from './permanent-job-error.js';
import type { JobQueue, QueueLogger } from './queue.js';

/** A claimed job as both implementations hand it to `executeJob`. */
export interface ClaimedJob {
  id: string;
  task: string;
  payload: unknown;
  /** This run's number, counting this run. */
  attempt: number;
  maxAttempts: number;
  runAt: Date;
}

/**
 * What to write back after a run. `retry` also covers the last attempt: the implementation stores
 * the error either way, and a job whose attempts reached its maximum is simply never claimed
 * again, so it stays visible as failed. `released` means this worker lost the job (lease lost or
 * released at shutdown); nothing is written, since another worker owns it now.
 */
export type JobOutcome =
  | { kind: 'completed' }
  | { kind: 'retry'; error: string; delayMs: number }
  | { kind: 'failed'; error: string }
  | { kind: 'released' };

/** What a run needs besides the job: where to log, the queue for the task context, the retry policy. */
export interface ExecuteJobDependencies {
  logger: QueueLogger;
  queue: JobQueue;
  backoff: { baseMs: number; maxMs: number };
}

/**
 * Runs one job through the validated boundary: check the payload against the task's schema
 * (a row written by an older release fails now, permanently and visibly, instead of retrying
 * forever), run the task, and classify the result. Never throws.
 */
export async function executeJob(
  tasks: Map<string, CompiledTask>,
  job: ClaimedJob,
  signal: AbortSignal,
  deps: ExecuteJobDependencies,
): Promise<JobOutcome> {
  const label = `job ${job.id} (task ${job.task}, attempt ${job.attempt} of ${job.maxAttempts})`;
  const compiled = tasks.get(job.task);
  if (compiled === undefined) {
    const error = `no task named "${job.task}" in this release; expected one of ${[...tasks.keys()].join(', ')}. Re-enqueue it under a current task name or purge it.`;
    deps.logger.error({ jobId: job.id, task: job.task }, `${label} failed permanently: ${error}`);
    return { kind: 'failed', error };
  }
  const check = compiled.check(job.payload);
  if (!check.valid) {
    const error = `payload does not match the schema of task "${job.task}" (${describeFieldErrors(check.fieldErrors)}); it was probably written by an older release. Re-enqueue the job with a valid payload.`;
    deps.logger.error({ jobId: job.id, task: job.task, fieldErrors: check.fieldErrors }, `${label} failed permanently: ${error}`);
    return { kind: 'failed', error };
  }
  if (signal.aborted) return { kind: 'released' };

  let stopWaiting: () => void = () => {};
  const released = new Promise<'released'>((resolve) => {
    const onAbort = () => resolve('released');
    signal.addEventListener('abort', onAbort, { once: true });
    stopWaiting = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    const context = {
      jobId: job.id,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      runAt: job.runAt,
      signal,
      logger: deps.logger,
      queue: deps.queue,
    };
    // A task that ignores its signal must not hold the worker slot after the job was released.
    const result = await Promise.race([compiled.definition.run(job.payload, context).then(() => 'done' as const), released]);
    if (result === 'released') {
      deps.logger.warn({ jobId: job.id, task: job.task }, `${label} was released to another worker while running; its result is ignored`);
      return { kind: 'released' };
    }
    return { kind: 'completed' };
  } catch (thrown) {
    if (signal.aborted) return { kind: 'released' };
    const error = errorText(thrown);
    if (isPermanentJobError(thrown)) {
      deps.logger.error({ jobId: job.id, task: job.task, err: thrown }, `${label} failed permanently: ${error}`);
      return { kind: 'failed', error };
    }
    if (job.attempt >= job.maxAttempts) {
      deps.logger.error({ jobId: job.id, task: job.task, err: thrown }, `${label} failed for good, no attempts left: ${error}`);
      return { kind: 'retry', error, delayMs: 0 };
    }
    const delayMs = backoffDelayMs(job.attempt, deps.backoff);
    deps.logger.warn({ jobId: job.id, task: job.task, err: thrown, delayMs }, `${label} failed, retrying in ${delayMs} ms: ${error}`);
    return { kind: 'retry', error, delayMs };
  } finally {
    stopWaiting();
  }
}

function errorText(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message === '' ? thrown.name : `${thrown.name === 'Error' ? '' : `${thrown.name}: `}${thrown.message}`;
  return String(thrown);
}
