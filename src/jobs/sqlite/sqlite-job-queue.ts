import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import { FurrowError } from '../../domain/errors.js';
import type { Storage } from '../../storage/database.js';
import { assertEnqueueable, compileTasks, type CompiledTask } from '../compile-tasks.js';
import { executeJob, type ClaimedJob, type JobOutcome } from '../execute-job.js';
import { assertHealthy, resolveConcurrency, resolveMaxAttempts, resolveQueueOptions, scheduleJobKey, type ResolvedQueueOptions } from '../queue-defaults.js';
import type {
  EnqueueOptions,
  JobInfo,
  JobQueue,
  JobQueueOptions,
  JobsConfig,
  PayloadOf,
  QueueHealth,
  QueueLogger,
  ScheduleDefinition,
  StartOptions,
  TaskList,
  TaskName,
} from '../queue.js';
import { assertValidSchedule, runSchedules } from '../run-schedules.js';
import { settlesWithin } from '../settles-within.js';
import type { SchedulePeriod } from '../schedule-period.js';
import { installSqliteQueueSchema } from './sqlite-queue-schema.js';

interface JobRow {
  id: number;
  task: string;
  payload: string;
  key: string | null;
  run_at: number;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_by: string | null;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

interface NewJob {
  task: string;
  payload: unknown;
  runAt: number;
  key: string | undefined;
  maxAttempts: number;
}

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
  /** Claimed holding a key: if the key is gone now, the job was cancelled or replaced while running. */
  keyed: boolean;
}

/**
 * Queues of this process that share one database file, so an enqueue wakes every in-process
 * worker at once; other processes find the job at their next poll.
 */
const wakeups = new Map<string, EventEmitter>();

/**
 * The embedded queue: jobs in the same SQLite file as the data, claimed with leases
 * (`locked_by`, `locked_until`) so several processes sharing the file (WAL) never run a job twice
 * at the same time, and a job whose process died is taken again once its lease expires.
 *
 * Every statement goes through the storage's Kysely instance: better-sqlite3 has one connection,
 * and Kysely's connection lock keeps our statements out of a transaction that a repository holds
 * open across an `await`.
 */
export class SqliteJobQueue<T extends TaskList = TaskList> implements JobQueue<T> {
  readonly kind = 'sqlite' as const;
  private readonly db: Kysely<unknown>;
  private readonly tasks: Map<string, CompiledTask>;
  private readonly options: ResolvedQueueOptions;
  private readonly schedules: ScheduleDefinition[] = [];
  private installed: Promise<void> | undefined;
  private state: 'idle' | 'running' | 'stopping' | 'closed' = 'idle';
  private workerId = '';
  private concurrency = 4;
  private readonly running = new Map<string, RunningJob>();
  private dispatching: Promise<void> | undefined;
  private dispatchAgain = false;
  private generation = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private scheduleRunner: { stop(): void } | undefined;
  private wakeKey: string | undefined;
  private readonly onWake = () => this.dispatch();
  private completions: number[] = [];
  /**
   * Jobs claimed ahead of a free worker. Under a backlog, claiming one job per finished job costs a
   * write transaction each; claiming a worker-pool's worth at once costs one per pool. They hold
   * our lease (renewed with the running ones) and go back, attempt uncounted, at stop.
   */
  private prefetched: JobRow[] = [];
  private flushing: Promise<void> | undefined;
  private lastProblem: string | undefined;

  constructor(
    storage: Storage,
    private readonly config: JobsConfig,
    tasks: T,
    private readonly logger: QueueLogger,
    options: JobQueueOptions = {},
  ) {
    if (storage.dialect.kind !== 'sqlite') {
      throw new FurrowError('internal_error', `SqliteJobQueue needs SQLite storage, found ${storage.dialect.kind}; use createJobQueue() to pick the implementation.`);
    }
    this.db = storage.db as unknown as Kysely<unknown>;
    this.tasks = compileTasks(tasks);
    this.options = resolveQueueOptions(options);
  }

  async enqueue<K extends TaskName<T>>(task: K, payload: PayloadOf<T, K>, options: EnqueueOptions = {}): Promise<string> {
    this.assertOpen();
    assertEnqueueable(this.tasks, task, payload);
    const job: NewJob = {
      task,
      payload,
      runAt: options.runAt?.getTime() ?? Date.now(),
      key: options.key,
      maxAttempts: resolveMaxAttempts(options.maxAttempts, this.options.defaultMaxAttempts),
    };
    await this.install();
    if (options.within !== undefined) {
      // The caller's transaction holds SQLite's one writer; the job is visible once it commits.
      const id = await insertJob(options.within.db as unknown as Kysely<unknown>, job);
      options.within.afterCommit(() => this.wakeLocalWorkers());
      return String(id);
    }
    const id = job.key === undefined ? await insertJob(this.db, job) : await this.db.transaction().execute((trx) => insertJob(trx, job));
    this.wakeLocalWorkers();
    return String(id);
  }

  async cancel(key: string): Promise<number> {
    this.assertOpen();
    await this.install();
    // graphile-worker's remove_job: delete the job unless a live worker holds it (an expired lease
    // counts as free, as its 4-hour stale lock does), else take its key and its retries.
    return this.db.transaction().execute(async (trx) => {
      const now = Date.now();
      const deleted = await sql`
        delete from job_queue_jobs
        where key = ${key} and (locked_by is null or locked_until < ${now})`.execute(trx);
      const disarmed = await sql`
        update job_queue_jobs set key = null, attempts = max_attempts, updated_at = ${now}
        where key = ${key}`.execute(trx);
      return Number(deleted.numAffectedRows ?? 0n) + Number(disarmed.numAffectedRows ?? 0n);
    });
  }

  schedule<K extends TaskName<T>>(schedule: ScheduleDefinition<K, PayloadOf<T, K>>): void {
    this.assertOpen();
    assertValidSchedule(schedule, this.schedules);
    assertEnqueueable(this.tasks, schedule.task, schedule.payload);
    this.schedules.push(schedule);
  }

  async start(options: StartOptions = {}): Promise<void> {
    this.assertOpen();
    if (this.state !== 'idle') throw new FurrowError('internal_error', `Job queue: start() called while ${this.state}; call stop() first.`);
    this.concurrency = resolveConcurrency(options.concurrency);
    await this.install();
    if (this.concurrency === 0) return;
    // A fresh id per start: a job this process released at its last stop must not count as ours.
    this.workerId = `sqlite:${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
    this.state = 'running';
    this.generation++;
    wakeChannel(this.wakeKey!).on('wake', this.onWake);
    await this.renewLeasesAndSweep();
    this.scheduleLeaseTimer(this.generation);
    this.scheduleRunner = runSchedules(this.schedules, (s, p) => this.firePeriod(s, p), this.logger);
    this.logger.info({ workerId: this.workerId, concurrency: this.concurrency }, 'SQLite job queue started');
    this.dispatch();
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.scheduleRunner?.stop();
    clearTimeout(this.pollTimer);
    wakeChannel(this.wakeKey!).off('wake', this.onWake);
    // A claim in flight finishes first, so every job we hold is in `running` or `prefetched`.
    await this.dispatching;
    await this.releasePrefetched();
    // Leases keep being renewed while we wait, so nobody takes a job that is still finishing.
    const finished = await settlesWithin(Promise.allSettled([...this.running.values()].map((r) => r.done)), this.config.shutdownTimeoutMs);
    if (!finished && this.running.size > 0) await this.releaseRunningJobs();
    await this.flushCompletions();
    clearTimeout(this.leaseTimer);
    this.generation++;
    this.state = 'idle';
    this.logger.info({ workerId: this.workerId }, 'SQLite job queue stopped');
  }

  async getJob(id: string): Promise<JobInfo | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    await this.install();
    const { rows } = await sql<JobRow>`select * from job_queue_jobs where id = ${Number(id)}`.execute(this.db);
    return rows[0] === undefined ? undefined : toJobInfo(rows[0]);
  }

  async failedJobs(options: { task?: string; limit?: number } = {}): Promise<JobInfo[]> {
    await this.install();
    const task = options.task === undefined ? sql`` : sql`and task = ${options.task}`;
    const { rows } = await sql<JobRow>`
      select * from job_queue_jobs
      where locked_by is null and attempts >= max_attempts ${task}
      order by updated_at desc, id desc
      limit ${options.limit ?? 100}`.execute(this.db);
    return rows.map(toJobInfo);
  }

  async purgeFailedJobs(olderThan: Date): Promise<number> {
    await this.install();
    const result = await sql`
      delete from job_queue_jobs
      where locked_by is null and attempts >= max_attempts and updated_at < ${olderThan.getTime()}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0n);
  }

  async ready(): Promise<QueueHealth> {
    if (this.state === 'closed') return { ready: false, reason: 'the job queue is closed' };
    try {
      await this.install();
      await sql`select 1 from job_queue_jobs limit 1`.execute(this.db);
    } catch (error) {
      return { ready: false, reason: `the job queue cannot read its tables: ${(error as Error).message}` };
    }
    if (this.state === 'running' && this.lastProblem !== undefined) return { ready: false, reason: this.lastProblem };
    return { ready: true };
  }

  async checkHealth(): Promise<void> {
    assertHealthy(await this.ready());
  }

  async close(): Promise<void> {
    await this.stop();
    this.state = 'closed';
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new FurrowError('service_unavailable', 'The job queue is closed; create a new one to enqueue or run jobs.');
  }

  private install(): Promise<void> {
    this.installed ??= installSqliteQueueSchema(this.db).then(
      async () => {
        this.wakeKey = await databaseFileKey(this.db);
      },
      (error: unknown) => {
        this.installed = undefined;
        throw error;
      },
    );
    return this.installed;
  }

  private wakeLocalWorkers(): void {
    if (this.wakeKey !== undefined) wakeChannel(this.wakeKey).emit('wake');
  }

  /** Claims jobs while slots are free; re-runs when woken meanwhile, then sleeps until the next due job or poll. */
  private dispatch(): void {
    if (this.state !== 'running') return;
    if (this.dispatching !== undefined) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = this.dispatchLoop().finally(() => {
      this.dispatching = undefined;
    });
  }

  private async dispatchLoop(): Promise<void> {
    try {
      for (;;) {
        this.dispatchAgain = false;
        clearTimeout(this.pollTimer);
        while (this.state === 'running') {
          const free = this.concurrency - this.running.size;
          if (free <= 0) break;
          let exhausted = false;
          if (this.prefetched.length < free) {
            // Up to one pool's worth beyond what the free workers take now.
            const wanted = free - this.prefetched.length + this.concurrency;
            const claimed = await this.claim(wanted);
            this.prefetched.push(...claimed);
            exhausted = claimed.length < wanted;
          }
          for (const row of this.prefetched.splice(0, free)) this.startJob(row);
          if (this.state !== 'running') return;
          if (exhausted && this.prefetched.length === 0) break;
        }
        if (this.state !== 'running' || this.running.size >= this.concurrency) return;
        const delay = await this.delayUntilNextJob();
        if (this.dispatchAgain) continue;
        if (this.state === 'running') this.pollTimer = setTimeout(() => this.dispatch(), delay);
        return;
      }
    } catch (error) {
      this.lastProblem = `claiming jobs failed: ${(error as Error).message}`;
      this.logger.error({ err: error }, `SQLite job queue: claiming jobs failed; retrying in ${this.config.pollIntervalMs} ms`);
      if (this.state === 'running') this.pollTimer = setTimeout(() => this.dispatch(), this.config.pollIntervalMs);
    }
  }

  private async claim(limit: number): Promise<JobRow[]> {
    const now = Date.now();
    const { rows } = await sql<JobRow>`
      update job_queue_jobs
      set locked_by = ${this.workerId}, locked_until = ${now + this.config.leaseMs}, attempts = attempts + 1, updated_at = ${now}
      where id in (
        select id from job_queue_jobs
        where locked_by is null and attempts < max_attempts and run_at <= ${now}
          and task in (${sql.join([...this.tasks.keys()])})
        order by run_at, id
        limit ${limit})
      returning *`.execute(this.db);
    this.lastProblem = undefined;
    return rows.sort((a, b) => a.run_at - b.run_at || a.id - b.id);
  }

  /** Sleeps until the earliest future job (a retry, a runAt) rather than a whole poll interval. */
  private async delayUntilNextJob(): Promise<number> {
    const { rows } = await sql<{ next: number | null }>`
      select min(run_at) as next from job_queue_jobs
      where locked_by is null and attempts < max_attempts and task in (${sql.join([...this.tasks.keys()])})`.execute(this.db);
    const next = rows[0]?.next;
    if (next === null || next === undefined) return this.config.pollIntervalMs;
    return Math.min(this.config.pollIntervalMs, Math.max(1, next - Date.now()));
  }

  private startJob(row: JobRow): void {
    const controller = new AbortController();
    const job: ClaimedJob = {
      id: String(row.id),
      task: row.task,
      payload: parsePayload(row.payload),
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      runAt: new Date(row.run_at),
    };
    const deps = { logger: this.logger, queue: this as unknown as JobQueue, backoff: this.options.backoff };
    const done = executeJob(this.tasks, job, controller.signal, deps)
      .then((outcome) => this.record(row.id, outcome))
      .catch((error: unknown) => {
        // The row keeps its lease until it expires, then another worker retries the job.
        this.logger.error({ jobId: job.id, err: error }, `SQLite job queue: could not record the outcome of job ${job.id}; it runs again after its lease expires`);
      })
      .finally(() => {
        this.running.delete(job.id);
        this.dispatch();
      });
    this.running.set(job.id, { controller, done, keyed: row.key !== null });
  }

  private async record(id: number, outcome: JobOutcome): Promise<void> {
    const now = Date.now();
    switch (outcome.kind) {
      case 'completed':
        this.completions.push(id);
        if (this.completions.length === 1) {
          setImmediate(() => {
            this.flushCompletions().catch((error: unknown) => {
              this.logger.error({ err: error }, 'SQLite job queue: could not delete completed jobs; they run again after their leases expire');
            });
          });
        }
        return;
      case 'retry':
        await sql`
          update job_queue_jobs
          set locked_by = null, locked_until = null, last_error = ${outcome.error}, run_at = ${now + outcome.delayMs}, updated_at = ${now}
          where id = ${id} and locked_by = ${this.workerId}`.execute(this.db);
        return;
      case 'failed':
        // Permanent: the attempts used so far become the maximum, so the job is never claimed again.
        await sql`
          update job_queue_jobs
          set locked_by = null, locked_until = null, last_error = ${outcome.error}, max_attempts = attempts, updated_at = ${now}
          where id = ${id} and locked_by = ${this.workerId}`.execute(this.db);
        return;
      case 'released':
        return;
    }
  }

  /** Completed jobs are deleted in batches: one statement per event-loop turn, not one per job. */
  private async flushCompletions(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.completions.length === 0) return;
    const ids = this.completions;
    this.completions = [];
    this.flushing = (async () => {
      for (let i = 0; i < ids.length; i += 500) {
        // `locked_by` guards against deleting a job that was swept and taken by another worker.
        await sql`delete from job_queue_jobs where locked_by = ${this.workerId} and id in (${sql.join(ids.slice(i, i + 500))})`.execute(this.db);
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private scheduleLeaseTimer(generation: number): void {
    // A third of the lease: two renewals can fail or run late before the lease runs out.
    this.leaseTimer = setTimeout(() => {
      void this.renewLeasesAndSweep().finally(() => {
        if (generation === this.generation && (this.state === 'running' || this.state === 'stopping')) this.scheduleLeaseTimer(generation);
      });
    }, Math.max(50, Math.floor(this.config.leaseMs / 3)));
  }

  /**
   * Renews our leases first, then frees expired ones: after this process stalls, it must not
   * mistake its own running jobs for a dead worker's.
   */
  private async renewLeasesAndSweep(): Promise<void> {
    try {
      const now = Date.now();
      const { rows: renewed } = await sql<{ id: number }>`
        update job_queue_jobs set locked_until = ${now + this.config.leaseMs}
        where locked_by = ${this.workerId} returning id`.execute(this.db);
      const held = new Set(renewed.map((r) => String(r.id)));
      // A prefetched job whose lease lapsed (this process stalled) may be another worker's now.
      this.prefetched = this.prefetched.filter((row) => held.has(String(row.id)));
      for (const [id, job] of this.running) {
        if (!held.has(id) && !job.controller.signal.aborted) {
          this.logger.warn({ jobId: id }, `SQLite job queue: lost the lease on job ${id} (this process stalled longer than the lease); another worker may run it`);
          job.controller.abort();
        }
      }
      const { rows: expired } = await sql<{ id: number }>`
        update job_queue_jobs
        set locked_by = null, locked_until = null, updated_at = ${now},
          last_error = 'lease expired during attempt ' || attempts || ': worker ' || locked_by || ' stopped renewing it (its process crashed, was killed, or stalled longer than the lease)'
        where locked_by is not null and locked_until < ${now}
        returning id`.execute(this.db);
      if (expired.length > 0) {
        this.logger.warn({ jobIds: expired.map((r) => r.id) }, `SQLite job queue: freed ${expired.length} job(s) whose worker stopped renewing its lease`);
        this.wakeLocalWorkers();
      }
      this.lastProblem = undefined;
    } catch (error) {
      this.lastProblem = `renewing job leases failed: ${(error as Error).message}`;
      this.logger.error({ err: error }, 'SQLite job queue: renewing leases failed');
    }
  }

  /** Hands back jobs claimed but never started, as if never claimed. */
  private async releasePrefetched(): Promise<void> {
    const ids = this.prefetched.map((row) => row.id);
    this.prefetched = [];
    if (ids.length === 0) return;
    try {
      await sql`
        update job_queue_jobs
        set locked_by = null, locked_until = null, attempts = max(attempts - 1, 0), updated_at = ${Date.now()}
        where locked_by = ${this.workerId} and id in (${sql.join(ids)})`.execute(this.db);
    } catch (error) {
      // Their leases expire and the sweep frees them, with the attempt counted.
      this.logger.error({ err: error, jobIds: ids }, 'SQLite job queue: could not release prefetched jobs at stop; they run again after their leases expire');
    }
    this.wakeLocalWorkers();
  }

  /**
   * Releases still-running jobs without counting the attempt, so another worker takes them now;
   * except a job cancelled (or replaced) while running, which stays failed rather than run again.
   */
  private async releaseRunningJobs(): Promise<void> {
    const ids = [...this.running.keys()].map(Number);
    const keyed = [...this.running].filter(([, r]) => r.keyed).map(([id]) => Number(id));
    const disarmed = keyed.length === 0 ? sql`0` : sql`(key is null and id in (${sql.join(keyed)}))`;
    const { rows } = await sql<{ id: number }>`
      update job_queue_jobs
      set locked_by = null, locked_until = null, updated_at = ${Date.now()},
        attempts = case when ${disarmed} then attempts else max(attempts - 1, 0) end,
        last_error = case when ${disarmed} then ${CANCELLED_AT_SHUTDOWN} else last_error end
      where locked_by = ${this.workerId} and id in (${sql.join(ids)})
      returning id`.execute(this.db);
    for (const job of this.running.values()) job.controller.abort();
    this.logger.warn({ jobIds: rows.map((r) => r.id) }, `SQLite job queue: released ${rows.length} running job(s) after waiting ${this.config.shutdownTimeoutMs} ms at shutdown`);
    this.wakeLocalWorkers();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private async firePeriod(schedule: ScheduleDefinition, period: SchedulePeriod): Promise<boolean> {
    const fired = await this.db.transaction().execute(async (trx) => {
      const claimed = await sql`
        insert into job_queue_schedules (name, last_period) values (${schedule.name}, ${period.index})
        on conflict (name) do update set last_period = excluded.last_period
        where job_queue_schedules.last_period < excluded.last_period`.execute(trx);
      if (Number(claimed.numAffectedRows ?? 0n) === 0) return false;
      await insertJob(trx, {
        task: schedule.task,
        payload: schedule.payload,
        runAt: period.startsAt,
        key: scheduleJobKey(schedule.name),
        maxAttempts: resolveMaxAttempts(schedule.maxAttempts, this.options.defaultMaxAttempts),
      });
      return true;
    });
    if (fired) this.wakeLocalWorkers();
    return fired;
  }
}

const CANCELLED_AT_SHUTDOWN = 'released at shutdown after its key was cancelled or enqueued again while it ran; not run again';

/**
 * Inserts a job; with a key, replaces the pending job holding it. Call inside a transaction when
 * a key is given: the first statement writes, so SQLite takes the write lock before reading.
 */
async function insertJob(db: Kysely<unknown>, job: NewJob): Promise<number> {
  const now = Date.now();
  const payload = JSON.stringify(job.payload ?? null);
  if (job.key === undefined) {
    const { rows } = await sql<{ id: number }>`
      insert into job_queue_jobs (task, payload, run_at, max_attempts, created_at, updated_at)
      values (${job.task}, ${payload}, ${job.runAt}, ${job.maxAttempts}, ${now}, ${now})
      returning id`.execute(db);
    return rows[0]!.id;
  }
  // As graphile-worker does: a running job with this key keeps running but gives up the key and
  // its retries (the new job carries newer state); a failed one gives up the key and stays visible.
  await sql`
    update job_queue_jobs
    set key = null, attempts = case when locked_by is not null then max_attempts else attempts end, updated_at = ${now}
    where key = ${job.key} and (locked_by is not null or attempts >= max_attempts)`.execute(db);
  const { rows } = await sql<{ id: number }>`
    insert into job_queue_jobs (task, payload, key, run_at, max_attempts, created_at, updated_at)
    values (${job.task}, ${payload}, ${job.key}, ${job.runAt}, ${job.maxAttempts}, ${now}, ${now})
    on conflict (key) where key is not null do update set
      task = excluded.task, payload = excluded.payload, run_at = excluded.run_at,
      max_attempts = excluded.max_attempts, attempts = 0, last_error = null, updated_at = excluded.updated_at
    returning id`.execute(db);
  return rows[0]!.id;
}

function toJobInfo(row: JobRow): JobInfo {
  return {
    id: String(row.id),
    task: row.task,
    payload: parsePayload(row.payload),
    key: row.key,
    state: row.locked_by !== null ? 'running' : row.attempts >= row.max_attempts ? 'failed' : 'pending',
    runAt: new Date(row.run_at),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    lockedBy: row.locked_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** A payload that is not even JSON reaches the schema check as text and fails it there, visibly. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function databaseFileKey(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  const file = rows.find((r) => r.name === 'main')?.file ?? '';
  // An in-memory database is private to its connection: nothing else can share its wakeups.
  return file === '' ? `memory:${crypto.randomUUID()}` : file;
}

function wakeChannel(key: string): EventEmitter {
  let channel = wakeups.get(key);
  if (channel === undefined) {
    channel = new EventEmitter();
    channel.setMaxListeners(0);
    wakeups.set(key, channel);
  }
  return channel;
}
