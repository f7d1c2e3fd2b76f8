/**
 * The job queue seam: one interface, implemented on SQLite (`sqlite/`) and on PostgreSQL with
 * graphile-worker (`postgres/`), both checked by `queue.contract.integration.test.ts`.
 *
 * Delivery is at least once: a job may run again after a crash, a lost lease or a shutdown that
 * released it, so every task must be idempotent. A thrown error means "retry with backoff"; a
 * `PermanentJobError` or a payload that fails its schema means "fail now, visibly".
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { UnitOfWork } from '../storage/unit-of-work.js';

/** The `jobs` section of the configuration: poll interval, lease and shutdown timeout. */
export type JobsConfig = Config['jobs'];

/** Any pino logger will do; the queue only logs through these four levels. */
export type QueueLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** What a task's `run` receives besides its payload. */
export interface TaskContext {
  readonly jobId: string;
  /** 1 on the first run; counts runs that crashed or timed out, not runs released at shutdown. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** When the job was due; for a scheduled job, the start of its period. */
  readonly runAt: Date;
  /**
   * Aborted when this worker no longer owns the job (its lease was lost, or shutdown released it
   * to another worker). Long tasks should pass it to I/O and stop early: their result is ignored.
   */
  readonly signal: AbortSignal;
  readonly logger: QueueLogger;
  /** The queue running the job, e.g. to enqueue follow-up work or to prune failed jobs. */
  readonly queue: JobQueue;
}

/**
 * A task: its id (= the file name under `jobs/tasks/`), the schema of its payload, and an
 * idempotent executor. The worker checks every payload against the schema before `run`.
 */
export interface TaskDefinition<S extends TSchema = TSchema> {
  readonly name: string;
  readonly payload: S;
  run(payload: Static<S>, context: TaskContext): Promise<void>;
}

/** Tasks by name; each key must equal its task's `name`. */
export type TaskList = Record<string, TaskDefinition>;

export type TaskName<T extends TaskList> = keyof T & string;
export type PayloadOf<T extends TaskList, K extends TaskName<T>> = Static<T[K]['payload']>;

export interface EnqueueOptions {
  /** Not before this time; default now. */
  runAt?: Date;
  /**
   * At most one pending job per key: enqueueing again while one is pending replaces its payload,
   * run time and attempts instead of adding a second. A job already running with the key keeps
   * running but will not be retried, and the new job is added beside it (the newer state wins).
   */
  key?: string;
  /** Runs before the job fails for good; default `JobQueueOptions.defaultMaxAttempts` (10). */
  maxAttempts?: number;
  /**
   * Enqueue inside this transaction of the storage the queue lives in: the job exists if and only
   * if the caller's change commits (a refresh reschedules itself in the commit that stores the new
   * token), and the two cost one commit instead of two.
   */
  within?: UnitOfWork;
}

/**
 * A recurring job. Periods are aligned to the Unix epoch (plus `offsetMs`), so every process
 * agrees on where a period starts, and a compare-and-set in the database makes each period fire
 * once across all processes. A period missed while no process ran fires once on the next start.
 */
export interface ScheduleDefinition<K extends string = string, P = unknown> {
  /** Stable identifier: renaming it starts a new schedule. */
  name: string;
  task: K;
  payload: P;
  /** Period length, at least 100 ms; e.g. 86_400_000 for daily. */
  everyMs: number;
  /** Shift of each period's start from the epoch grid, e.g. 3 h for "daily at 03:00 UTC". */
  offsetMs?: number;
  maxAttempts?: number;
}

/** `pending` includes jobs waiting for a retry (`attempts > 0`, `lastError` set). */
export type JobState = 'pending' | 'running' | 'failed';

/** One job as operators and tests see it. Completed jobs are deleted, so they are not found. */
export interface JobInfo {
  id: string;
  task: string;
  payload: unknown;
  key: string | null;
  state: JobState;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** The worker holding the job while it runs. */
  lockedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StartOptions {
  /**
   * Jobs run at once by this process; default 4. 0 starts nothing (a `furrow serve` that only
   * enqueues): no workers and no schedules, which the worker processes run.
   */
  concurrency?: number;
}

export type QueueHealth = { ready: true } | { ready: false; reason: string };

export interface JobQueue<T extends TaskList = TaskList> {
  readonly kind: 'sqlite' | 'postgres';
  /** Adds a job (or replaces the pending job with the same key) and returns its id. */
  enqueue<K extends TaskName<T>>(task: K, payload: PayloadOf<T, K>, options?: EnqueueOptions): Promise<string>;
  /**
   * Cancels the job holding `key`, as graphile-worker's `remove_job` does (e.g. when a credential
   * is deleted, so its sync stops). At most one job holds a key, so this returns 1 if it deleted
   * or disarmed that job and 0 if no job held the key (unknown, completed or already cancelled).
   *
   * - A job that is not running (pending, waiting for a retry, or failed) is deleted: `getJob`
   *   no longer finds it and it never runs. So is a running job whose worker stopped renewing its
   *   lease (on PostgreSQL, one locked for over graphile-worker's 4 hours).
   * - A running job is not interrupted: it gives up its key and its retries (its attempts are set
   *   to its maximum). If it completes it is deleted as usual; if it fails, or its worker dies or
   *   releases it at shutdown, it stays visible as failed instead of running again.
   *
   * Either way the key is free at once: enqueueing with it afterwards adds a new job.
   */
  cancel(key: string): Promise<number>;
  /** Registers a recurring job; call before `start()`. Only started queues fire schedules. */
  schedule<K extends TaskName<T>>(schedule: ScheduleDefinition<K, PayloadOf<T, K>>): void;
  /** Starts this process's workers and schedules. Enqueueing needs no `start()`. */
  start(options?: StartOptions): Promise<void>;
  /**
   * Stops taking jobs, waits up to `shutdownTimeoutMs` for running ones, then releases the rest
   * (without counting the attempt) so another worker takes them at once.
   */
  stop(): Promise<void>;
  /** A job's current state, or `undefined` once it completed (completed jobs are deleted). */
  getJob(id: string): Promise<JobInfo | undefined>;
  /** Jobs that used up their attempts or failed permanently, newest failure first. */
  failedJobs(options?: { task?: string; limit?: number }): Promise<JobInfo[]>;
  /** Deletes failed jobs whose last failure is older than `olderThan`; returns how many. */
  purgeFailedJobs(olderThan: Date): Promise<number>;
  /** Can the queue reach its database, and are started workers alive? With the reason if not. */
  ready(): Promise<QueueHealth>;
  /** `ready()` for a health route: throws `service_unavailable` with the reason when not ready. */
  checkHealth(): Promise<void>;
  /** Stops if started and frees the queue's own connections; the `Storage` stays open. */
  close(): Promise<void>;
}

/** Tuning that is not configuration: defaults suit production, tests shorten them. */
export interface JobQueueOptions {
  /** Default `maxAttempts` for jobs that do not set one; default 10. */
  defaultMaxAttempts?: number;
  /** Retry delay `min(maxMs, baseMs * 2^(attempt-1))`, jittered; default 2 s up to 1 h. */
  backoff?: { baseMs: number; maxMs: number };
}
