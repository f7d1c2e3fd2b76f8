import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import os from 'node:os';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import {
  makeWorkerUtils,
  run,
  type JobHelpers,
  type Runner,
  type Task,
  type TaskList as GraphileTaskList,
  type WorkerEvents,
  type WorkerUtils,
} from 'graphile-worker';
import { FurrowError } from '../../domain/errors.js';
import type { Storage } from '../../storage/database.js';
import type { UnitOfWork } from '../../storage/unit-of-work.js';
import { assertEnqueueable, compileTasks, type CompiledTask } from '../compile-tasks.js';
import { executeJob } from '../execute-job.js';
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
import { graphileLogger } from './graphile-logger.js';
import { installPostgresQueueSchema, QUEUE_SCHEMA, withInstallLock } from './postgres-queue-schema.js';
import { WorkerLiveness } from './worker-liveness.js';

interface JobRow {
  id: string;
  task: string;
  payload: unknown;
  key: string | null;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_by: string | null;
  created_at: Date;
  updated_at: Date;
}

interface PendingInsert {
  task: string;
  payload: string;
  runAt: Date | null;
  maxAttempts: number;
  resolve(id: string): void;
  reject(error: unknown): void;
}

interface PendingKeyedAdd {
  /** add_keyed_job's arguments: task, payload (JSON text), run_at, max_attempts, key. */
  values: unknown[];
  resolve(id: string): void;
  reject(error: unknown): void;
}

interface RunningJob {
  workerId: string;
  controller: AbortController;
  /** Claimed holding a key: if the key is gone now, the job was cancelled or replaced while running. */
  keyed: boolean;
}

/** Thrown back to graphile-worker for a job we no longer hold; its failJob then matches no row. */
class JobReleasedError extends Error {
  override name = 'JobReleasedError';
}

// graphile-worker's tables are read and, for the few writes its API lacks, written directly. The
// queries name `_private_jobs` (pinned by the ^0.16 range); the contract tests catch a change.
const JOB_COLUMNS = `
  j.id::text as id, t.identifier as task, j.payload, j.key, j.run_at, j.attempts, j.max_attempts,
  j.last_error, j.locked_by, j.created_at, j.updated_at`;

const CANCELLED_AT_SHUTDOWN = 'released at shutdown after its key was cancelled or enqueued again while it ran; not run again';

/**
 * The distributed queue: graphile-worker (LISTEN/NOTIFY pickup, SKIP LOCKED claims, job keys),
 * plus what Furrow needs beyond it: liveness so a killed worker's job is freed within seconds
 * (`worker-liveness.ts`), jittered backoff and permanent failure written by us, a shutdown that
 * releases instead of failing what is still running, and schedules that fire once per period.
 */
export class PostgresJobQueue<T extends TaskList = TaskList> implements JobQueue<T> {
  readonly kind = 'postgres' as const;
  private readonly tasks: Map<string, CompiledTask>;
  private readonly options: ResolvedQueueOptions;
  private readonly schedules: ScheduleDefinition[] = [];
  private readonly connectionString: string;
  private readonly utilsPool: pg.Pool;
  private installed: Promise<WorkerUtils> | undefined;
  private state: 'idle' | 'running' | 'stopping' | 'closed' = 'idle';
  private runner: Runner | undefined;
  private runnerPool: pg.Pool | undefined;
  private runnerFailure: string | undefined;
  private liveness: WorkerLiveness | undefined;
  private workerIds: string[] = [];
  private readonly running = new Map<string, RunningJob>();
  private scheduleRunner: { stop(): void } | undefined;
  private readonly gwLogger;
  private pendingInserts: PendingInsert[] = [];
  private readonly keyedWithin = new WeakMap<UnitOfWork, PendingKeyedAdd[]>();

  constructor(
    storage: Storage,
    private readonly config: JobsConfig,
    tasks: T,
    private readonly logger: QueueLogger,
    options: JobQueueOptions = {},
  ) {
    this.connectionString = connectionStringOf(storage);
    this.tasks = compileTasks(tasks);
    this.options = resolveQueueOptions(options);
    this.gwLogger = graphileLogger(logger);
    // The queue's own small pool: graphile-worker holds a LISTEN connection and workers take one
    // per query, which must not starve the API's pool. allowExitOnIdle: a forgotten close() does
    // not keep the process alive.
    this.utilsPool = newPool(this.connectionString, 4, logger);
  }

  async enqueue<K extends TaskName<T>>(task: K, payload: PayloadOf<T, K>, options: EnqueueOptions = {}): Promise<string> {
    this.assertOpen();
    assertEnqueueable(this.tasks, task, payload);
    const maxAttempts = resolveMaxAttempts(options.maxAttempts, this.options.defaultMaxAttempts);
    await this.install();
    if (options.within !== undefined || options.key !== undefined) {
      // On the caller's connection when given one: committed (and NOTIFYed) with the caller's
      // change, never without it. Keyed jobs go through our add_keyed_job, graphile-worker's
      // add_job without its NOTIFY for a job that is not due yet (postgres-queue-schema.ts).
      const text = options.key === undefined
        ? 'select (graphile_worker.add_job($1, $2::json, run_at => $3::timestamptz, max_attempts => $4::int)).id::text as id'
        : `select (${QUEUE_SCHEMA}.add_keyed_job($1, $2::json, $3::timestamptz, $4::int, $5::text)).id::text as id`;
      const values = [task, JSON.stringify(payload ?? null), options.runAt ?? null, maxAttempts, ...(options.key === undefined ? [] : [options.key])];
      if (options.within !== undefined && options.key !== undefined) return this.addKeyedWithin(options.within, values);
      if (options.within !== undefined) {
        const { rows } = await options.within.db.executeQuery<{ id: string }>(CompiledQuery.raw(text, values));
        return rows[0]!.id;
      }
      const { rows } = await this.utilsPool.query<{ id: string }>({ name: 'furrow_add_keyed_job', text, values });
      return rows[0]!.id;
    }
    return new Promise<string>((resolve, reject) => {
      const first = this.pendingInserts.length === 0;
      this.pendingInserts.push({ task, payload: JSON.stringify(payload ?? null), runAt: options.runAt ?? null, maxAttempts, resolve, reject });
      if (first) setImmediate(() => void this.insertPending());
    });
  }

  /**
   * Keyed jobs enqueued on one transaction during one event-loop turn go to the database in one
   * statement (a transaction committing a batch of refreshes reschedules each of them), still
   * through add_keyed_job, row by row, in the order given.
   */
  private addKeyedWithin(within: UnitOfWork, values: unknown[]): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let batch = this.keyedWithin.get(within);
      if (batch === undefined) {
        const pending: PendingKeyedAdd[] = [];
        batch = pending;
        this.keyedWithin.set(within, pending);
        setImmediate(() => {
          this.keyedWithin.delete(within);
          void this.insertKeyedWithin(within, pending);
        });
      }
      batch.push({ values, resolve, reject });
    });
  }

  private async insertKeyedWithin(within: UnitOfWork, batch: PendingKeyedAdd[]): Promise<void> {
    const column = (i: number) => batch.map((b) => b.values[i]);
    try {
      const { rows } = await within.db.executeQuery<{ id: string }>(
        CompiledQuery.raw(
          `select (${QUEUE_SCHEMA}.add_keyed_job(s.task, s.payload, s.run_at, s.max_attempts, s.key)).id::text as id
           from unnest($1::text[], $2::json[], $3::timestamptz[], $4::int[], $5::text[])
             with ordinality as s(task, payload, run_at, max_attempts, key, ord)
           order by s.ord`,
          [column(0), column(1), column(2), column(3), column(4)],
        ),
      );
      batch.forEach((b, i) => b.resolve(rows[i]!.id));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  /**
   * Inserts the keyless jobs enqueued during one event-loop turn with one statement. Calling
   * graphile-worker's add_job once per job costs five statements and a NOTIFY each, which caps
   * enqueueing at about 2,000 jobs/s on a small machine; one INSERT for many rows does not.
   * Keyed jobs keep going through add_job, which owns the job-key rules.
   */
  private async insertPending(): Promise<void> {
    const batch = this.pendingInserts.splice(0, 1000);
    if (this.pendingInserts.length > 0) setImmediate(() => void this.insertPending());
    try {
      // ORDER BY ord: rows are inserted, and so numbered by the id sequence, in the order given;
      // sorting the ids back gives each caller its own.
      const { rows } = await this.utilsPool.query<{ ids: string[] }>({
        name: 'furrow_jobs_insert_batch',
        text: `with inserted as (
                 insert into graphile_worker._private_jobs (task_id, payload, run_at, max_attempts)
                 select t.id, s.payload, coalesce(s.run_at, now()), s.max_attempts
                 from unnest($1::text[], $2::json[], $3::timestamptz[], $4::smallint[])
                   with ordinality as s(task, payload, run_at, max_attempts, ord)
                 join graphile_worker._private_tasks t on t.identifier = s.task
                 order by s.ord
                 returning id)
               select (select array_agg(id::text order by id) from inserted) as ids,
                 pg_notify('jobs:insert', json_build_object('count', (select count(*) from inserted))::text)`,
        values: [batch.map((b) => b.task), batch.map((b) => b.payload), batch.map((b) => b.runAt), batch.map((b) => b.maxAttempts)],
      });
      const ids = rows[0]?.ids ?? [];
      if (ids.length !== batch.length) throw new Error(`inserted ${ids.length} of ${batch.length} jobs (a task row is missing)`);
      batch.forEach((b, i) => b.resolve(ids[i]!));
    } catch (error) {
      // One job at a time through add_job, so only a job that really fails rejects.
      this.logger.debug({ err: error }, 'PostgreSQL job queue: batch insert failed; adding the jobs one by one');
      let utils: WorkerUtils;
      try {
        utils = await this.install();
      } catch (installError) {
        for (const b of batch) b.reject(installError);
        return;
      }
      await Promise.all(
        batch.map((b) =>
          utils
            .addJob(b.task, JSON.parse(b.payload) as unknown, { ...(b.runAt !== null && { runAt: b.runAt }), maxAttempts: b.maxAttempts })
            .then((job) => b.resolve(job.id), b.reject),
        ),
      );
    }
  }

  async cancel(key: string): Promise<number> {
    this.assertOpen();
    await this.install();
    // graphile-worker 0.16 has no removeJob in WorkerUtils, only the SQL function. It returns the
    // deleted or disarmed row, or a null row (one row of nulls here) when no job held the key.
    const { rows } = await this.utilsPool.query<{ id: string | null }>('select id::text from graphile_worker.remove_job($1::text)', [key]);
    return rows.filter((r) => r.id !== null).length;
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
    const concurrency = resolveConcurrency(options.concurrency);
    const utils = await this.install();
    if (concurrency === 0) return;
    this.state = 'running';
    this.runnerFailure = undefined;
    const processId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
    // This pool runs only graphile-worker's own statements, which are written for its indexes. Its
    // claim (get_job: the first due job by priority and run_at, LIMIT 1) is planned as a scan and
    // sort of the whole job table whenever the statistics say few jobs are due, as they do after a
    // burst of jobs became due since the last ANALYZE: 10,000 refreshes due at once then cost a
    // table scan per claim (4-7 ms of the server's CPU each, against 0.05 ms walking the index).
    // JIT off: the cost penalty of a disabled scan would otherwise cross jit_above_cost, and JIT
    // compiling a claim costs a second.
    const runnerPool = newPool(this.connectionString, concurrency + 3, this.logger, '-c enable_seqscan=off -c jit=off');
    this.runnerPool = runnerPool;
    const liveness = new WorkerLiveness(
      this.utilsPool,
      utils,
      processId,
      this.config.leaseMs,
      this.logger,
      () => [...this.running].map(([jobId, r]) => ({ jobId, workerId: r.workerId })),
      (jobIds) => {
        for (const id of jobIds) this.running.get(id)?.controller.abort();
      },
    );
    this.liveness = liveness;
    liveness.start();
    this.workerIds = [];
    const events = new EventEmitter() as WorkerEvents;
    events.on('worker:create', ({ worker }) => {
      this.workerIds.push(worker.workerId);
      liveness.add(worker.workerId);
    });
    try {
      this.runner = await run({
        pgPool: runnerPool,
        concurrency,
        pollInterval: this.config.pollIntervalMs,
        // The composition root owns signals: it stops the API first, then the queue.
        noHandleSignals: true,
        taskList: this.graphileTaskList(),
        // Schedules are ours (`runSchedules`); an empty list keeps graphile-worker from reading a crontab file.
        parsedCronItems: [],
        logger: this.gwLogger,
        events,
      });
    } catch (error) {
      this.state = 'idle';
      await liveness.stop().catch(() => {});
      await runnerPool.end().catch(() => {});
      throw error;
    }
    this.runner.promise.catch((error: unknown) => {
      this.runnerFailure = `the graphile-worker runner stopped: ${(error as Error).message}`;
      this.logger.error({ err: error }, 'PostgreSQL job queue: the graphile-worker runner stopped with an error');
    });
    this.scheduleRunner = runSchedules(this.schedules, (s, p) => this.firePeriod(s, p), this.logger);
    this.logger.info({ processId, concurrency }, 'PostgreSQL job queue started');
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.scheduleRunner?.stop();
    const runner = this.runner!;
    // Graceful: workers take no new jobs and the runner resolves once running jobs finish; the
    // heartbeat keeps going meanwhile, so no other process frees a job that is still finishing.
    const stopped = runner.stop().catch((error: unknown) => {
      this.logger.error({ err: error }, 'PostgreSQL job queue: graphile-worker failed to stop cleanly');
    });
    if (!(await settlesWithin(stopped, this.config.shutdownTimeoutMs))) {
      await this.releaseRunningJobs();
      if (!(await settlesWithin(stopped, 5000))) this.logger.error('PostgreSQL job queue: graphile-worker did not stop 5 s after its jobs were released');
    }
    await this.liveness?.stop().catch((error: unknown) => this.logger.error({ err: error }, 'PostgreSQL job queue: could not remove worker heartbeats'));
    await this.runnerPool?.end().catch(() => {});
    this.runner = undefined;
    this.runnerPool = undefined;
    this.liveness = undefined;
    this.state = 'idle';
    this.logger.info('PostgreSQL job queue stopped');
  }

  async getJob(id: string): Promise<JobInfo | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    await this.install();
    const { rows } = await this.utilsPool.query<JobRow>(
      `select ${JOB_COLUMNS} from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where j.id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : toJobInfo(rows[0]);
  }

  async failedJobs(options: { task?: string; limit?: number } = {}): Promise<JobInfo[]> {
    await this.install();
    const { rows } = await this.utilsPool.query<JobRow>(
      `select ${JOB_COLUMNS} from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id
       where j.locked_by is null and j.attempts >= j.max_attempts and ($2::text is null or t.identifier = $2)
       order by j.updated_at desc, j.id desc limit $1`,
      [options.limit ?? 100, options.task ?? null],
    );
    return rows.map(toJobInfo);
  }

  async purgeFailedJobs(olderThan: Date): Promise<number> {
    await this.install();
    const result = await this.utilsPool.query(
      `delete from graphile_worker._private_jobs
       where locked_by is null and attempts >= max_attempts and updated_at < $1`,
      [olderThan],
    );
    return result.rowCount ?? 0;
  }

  async ready(): Promise<QueueHealth> {
    if (this.state === 'closed') return { ready: false, reason: 'the job queue is closed' };
    try {
      await this.install();
      await this.utilsPool.query('select 1 from graphile_worker._private_jobs limit 1');
    } catch (error) {
      return { ready: false, reason: `the job queue cannot reach its tables: ${(error as Error).message}` };
    }
    if (this.state === 'running') {
      if (this.runnerFailure !== undefined) return { ready: false, reason: this.runnerFailure };
      if (this.liveness?.problem !== undefined) return { ready: false, reason: this.liveness.problem };
    }
    return { ready: true };
  }

  async checkHealth(): Promise<void> {
    assertHealthy(await this.ready());
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    await this.stop();
    this.state = 'closed';
    const utils = await this.installed?.catch(() => undefined);
    await Promise.resolve(utils?.release()).catch(() => {});
    await this.utilsPool.end().catch(() => {});
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new FurrowError('service_unavailable', 'The job queue is closed; create a new one to enqueue or run jobs.');
  }

  /** Installs graphile-worker's schema (makeWorkerUtils migrates) and ours, one process at a time. */
  private install(): Promise<WorkerUtils> {
    this.installed ??= withInstallLock(this.utilsPool, async (client) => {
      const utils = await makeWorkerUtils({ pgPool: this.utilsPool, logger: this.gwLogger });
      await installPostgresQueueSchema(client);
      // The batch insert joins task rows instead of creating them as add_job does.
      await client.query('insert into graphile_worker._private_tasks (identifier) select unnest($1::text[]) on conflict do nothing', [[...this.tasks.keys()]]);
      return utils;
    }).catch((error: unknown) => {
      this.installed = undefined;
      throw error;
    });
    return this.installed;
  }

  private graphileTaskList(): GraphileTaskList {
    const list: Record<string, Task> = {};
    for (const name of this.tasks.keys()) list[name] = (payload, helpers) => this.runJob(payload, helpers);
    return list;
  }

  /**
   * One job under graphile-worker. Failures are written here rather than by graphile-worker, for
   * jittered backoff (its own is e^attempts seconds) and permanent failure; we unlock the row as
   * we write, and then rethrow, so its own failJob, which requires `locked_by` to still be this
   * worker, matches nothing. Returning normally would make it delete the job as completed.
   */
  private async runJob(payload: unknown, helpers: JobHelpers): Promise<void> {
    const job = helpers.job;
    const workerId = job.locked_by ?? '';
    const controller = new AbortController();
    this.running.set(job.id, { workerId, controller, keyed: job.key !== null });
    try {
      const outcome = await executeJob(
        this.tasks,
        { id: job.id, task: job.task_identifier, payload, attempt: job.attempts, maxAttempts: job.max_attempts, runAt: job.run_at },
        controller.signal,
        { logger: this.logger, queue: this as unknown as JobQueue, backoff: this.options.backoff },
      );
      switch (outcome.kind) {
        case 'completed':
          return;
        case 'released':
          throw new JobReleasedError(`job ${job.id} was released by this worker`);
        case 'retry':
          await this.utilsPool.query(
            `update graphile_worker._private_jobs
             set last_error = $2, run_at = now() + make_interval(secs => $3::double precision / 1000),
               locked_by = null, locked_at = null, updated_at = now()
             where id = $1 and locked_by = $4`,
            [job.id, outcome.error, outcome.delayMs, workerId],
          );
          throw new Error(outcome.error);
        case 'failed':
          await this.utilsPool.query(
            `update graphile_worker._private_jobs
             set last_error = $2, max_attempts = attempts, locked_by = null, locked_at = null, updated_at = now()
             where id = $1 and locked_by = $3`,
            [job.id, outcome.error, workerId],
          );
          throw new Error(outcome.error);
      }
    } finally {
      this.running.delete(job.id);
    }
  }

  /**
   * Unlocks what is still running without counting the attempt, and wakes the other workers;
   * except a job cancelled (or replaced) while running, which stays failed rather than run again.
   */
  private async releaseRunningJobs(): Promise<void> {
    const keyed = [...this.running].filter(([, r]) => r.keyed).map(([id]) => id);
    try {
      const { rows } = await this.utilsPool.query<{ id: string }>(
        `update graphile_worker._private_jobs
         set locked_by = null, locked_at = null, updated_at = now(),
           attempts = case when key is null and id = any($2::bigint[]) then attempts else greatest(attempts - 1, 0) end,
           last_error = case when key is null and id = any($2::bigint[]) then $3 else last_error end
         where locked_by = any($1::text[]) returning id::text`,
        [this.workerIds, keyed, CANCELLED_AT_SHUTDOWN],
      );
      // Also unlocks named queues, which this queue does not use but graphile-worker supports.
      await (await this.install()).forceUnlockWorkers(this.workerIds);
      await this.utilsPool.query(`select pg_notify('jobs:insert', $1)`, [JSON.stringify({ count: rows.length })]);
      this.logger.warn({ jobIds: rows.map((r) => r.id) }, `PostgreSQL job queue: released ${rows.length} running job(s) after waiting ${this.config.shutdownTimeoutMs} ms at shutdown`);
    } catch (error) {
      // The jobs stay locked by our workers; once our heartbeats stop, another process frees them.
      this.logger.error({ err: error }, 'PostgreSQL job queue: could not release running jobs at shutdown; other workers free them after a lease');
    }
    for (const job of this.running.values()) job.controller.abort();
  }

  private async firePeriod(schedule: ScheduleDefinition, period: SchedulePeriod): Promise<boolean> {
    // One statement: claiming the period and adding its job commit together or not at all.
    const { rows } = await this.utilsPool.query(
      `with claimed as (
         insert into ${QUEUE_SCHEMA}.schedules as s (name, last_period) values ($1, $2)
         on conflict (name) do update set last_period = excluded.last_period
         where s.last_period < excluded.last_period
         returning name)
       select (graphile_worker.add_job($3, $4::json, null, $5::timestamptz, $6::int, $7::text)).id from claimed`,
      [
        schedule.name,
        period.index,
        schedule.task,
        JSON.stringify(schedule.payload ?? null),
        new Date(period.startsAt),
        resolveMaxAttempts(schedule.maxAttempts, this.options.defaultMaxAttempts),
        scheduleJobKey(schedule.name),
      ],
    );
    return rows.length > 0;
  }
}

function toJobInfo(row: JobRow): JobInfo {
  return {
    id: row.id,
    task: row.task,
    payload: row.payload,
    key: row.key,
    state: row.locked_by !== null ? 'running' : row.attempts >= row.max_attempts ? 'failed' : 'pending',
    runAt: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    lockedBy: row.locked_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The storage's connection string: the queue opens pools of its own on the same database. */
function connectionStringOf(storage: Storage): string {
  const connectionString = storage.config.kind === 'postgres' ? storage.config.url : undefined;
  if (connectionString === undefined) {
    throw new FurrowError('internal_error', `PostgresJobQueue needs PostgreSQL storage opened from a connection string, found ${storage.dialect.kind}; use createJobQueue() to pick the implementation.`);
  }
  return connectionString;
}

function newPool(connectionString: string, max: number, logger: QueueLogger, sessionOptions?: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, allowExitOnIdle: true, ...(sessionOptions !== undefined && { options: sessionOptions }) });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger.warn({ err: error }, 'PostgreSQL job queue: an idle connection failed'));
  return pool;
}
