import { FurrowError } from '../domain/errors.js';
import type { JobQueueOptions, QueueHealth } from './queue.js';

/** Options with every default filled in. */
export interface ResolvedQueueOptions {
  defaultMaxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
}

/** Ten attempts two seconds apart and doubling reach about seventeen minutes, capped at an hour a step. */
export function resolveQueueOptions(options: JobQueueOptions = {}): ResolvedQueueOptions {
  const defaultMaxAttempts = options.defaultMaxAttempts ?? 10;
  if (!Number.isInteger(defaultMaxAttempts) || defaultMaxAttempts < 1 || defaultMaxAttempts > 32_767) {
    throw new FurrowError('internal_error', `Job queue: expected defaultMaxAttempts from 1 to 32767, found ${defaultMaxAttempts}.`);
  }
  return { defaultMaxAttempts, backoff: options.backoff ?? { baseMs: 2000, maxMs: 3_600_000 } };
}

/** Checks an enqueue's `maxAttempts`; graphile-worker stores it as a smallint. */
export function resolveMaxAttempts(maxAttempts: number | undefined, fallback: number): number {
  const value = maxAttempts ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > 32_767) {
    throw new FurrowError('internal_error', `Job queue: expected maxAttempts from 1 to 32767, found ${value}.`);
  }
  return value;
}

/** The job key a schedule's jobs share, so a period whose job is still pending replaces it. */
export function scheduleJobKey(name: string): string {
  return `schedule:${name}`;
}

/** Concurrency for `start()`; default 4 jobs at once, 0 for a process that only enqueues. */
export function resolveConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? 4;
  if (!Number.isInteger(value) || value < 0 || value > 1000) {
    throw new FurrowError('internal_error', `Job queue: expected concurrency from 0 to 1000, found ${value}.`);
  }
  return value;
}

/** Turns a `ready()` answer into the throw a health route expects. */
export function assertHealthy(health: QueueHealth): void {
  if (!health.ready) throw new FurrowError('service_unavailable', `The job queue is not ready: ${health.reason}.`);
}
