import type pg from 'pg';
import type { WorkerUtils } from 'graphile-worker';
import type { QueueLogger } from '../queue.js';
import { QUEUE_SCHEMA } from './postgres-queue-schema.js';

/** A job this process is running, and the graphile-worker worker that locked it. */
export interface HeldJob {
  jobId: string;
  workerId: string;
}

/**
 * Liveness for graphile-worker, which on its own frees a dead worker's jobs only after 4 hours.
 * Every process heartbeats its workers into `furrow_jobs.workers`; every started process sweeps
 * for jobs locked longer than a lease by a worker without a fresh heartbeat (a SIGKILLed process,
 * a lost machine) and frees them with `forceUnlockWorkers`, so another worker takes them within
 * about a lease and a half.
 *
 * The heartbeat also checks that this process still holds its running jobs: after a stall longer
 * than the lease another process may have freed them, and `onLost` aborts them here.
 */
export class WorkerLiveness {
  private readonly workers = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Why the last heartbeat or sweep failed; cleared by the next success. */
  problem: string | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly utils: WorkerUtils,
    private readonly processId: string,
    private readonly leaseMs: number,
    private readonly logger: QueueLogger,
    private readonly heldJobs: () => HeldJob[],
    private readonly onLost: (jobIds: string[]) => void,
  ) {}

  start(): void {
    this.stopped = false;
    // A third of the lease: two heartbeats can fail or run late before others call us dead.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(50, Math.floor(this.leaseMs / 2)));
  }

  /** Registers a worker and writes its first heartbeat at once, before it has held a job for a lease. */
  add(workerId: string): void {
    this.workers.add(workerId);
    if (!this.stopped) void this.heartbeat();
  }

  /** Stops heartbeating and removes this process's rows: its jobs are done or released by now. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    const ids = [...this.workers];
    this.workers.clear();
    if (ids.length > 0) await this.pool.query(`delete from ${QUEUE_SCHEMA}.workers where worker_id = any($1::text[])`, [ids]);
  }

  async heartbeat(): Promise<void> {
    if (this.stopped || this.workers.size === 0) return;
    try {
      await this.pool.query(
        `insert into ${QUEUE_SCHEMA}.workers (worker_id, process_id, heartbeat_at)
         select worker_id, $2, now() from unnest($1::text[]) as worker_id
         on conflict (worker_id) do update set heartbeat_at = now()`,
        [[...this.workers], this.processId],
      );
      const held = this.heldJobs();
      if (held.length > 0) {
        const { rows } = await this.pool.query<{ id: string; locked_by: string | null }>(
          'select id::text, locked_by from graphile_worker._private_jobs where id = any($1::bigint[])',
          [held.map((h) => h.jobId)],
        );
        const lockedBy = new Map(rows.map((r) => [r.id, r.locked_by]));
        // Lost means another process may run it: the row is still there but no longer locked by
        // us. A missing row is a job that completed (or was removed) meanwhile, and a job no
        // longer held once the query answers finished while it was in flight: neither is lost.
        const stillHeld = new Set(this.heldJobs().map((h) => `${h.workerId}:${h.jobId}`));
        const lost = held
          .filter((h) => lockedBy.has(h.jobId) && lockedBy.get(h.jobId) !== h.workerId && stillHeld.has(`${h.workerId}:${h.jobId}`))
          .map((h) => h.jobId);
        if (lost.length > 0) {
          this.logger.warn({ jobIds: lost }, `PostgreSQL job queue: lost ${lost.length} running job(s) (this process stalled longer than the lease and another process freed them)`);
          this.onLost(lost);
        }
      }
      this.problem = undefined;
    } catch (error) {
      this.problem = `the worker heartbeat failed: ${(error as Error).message}`;
      this.logger.error({ err: error }, 'PostgreSQL job queue: worker heartbeat failed');
    }
  }

  /** Frees the jobs of workers that stopped heartbeating; returns the ids of the dead workers. */
  async sweep(): Promise<string[]> {
    if (this.stopped) return [];
    try {
      // `locked_at` older than a lease: a worker that just locked a job before its first
      // heartbeat landed is not mistaken for a dead one.
      const { rows } = await this.pool.query<{ worker_id: string }>(
        `select distinct j.locked_by as worker_id
         from graphile_worker._private_jobs j
         where j.locked_by is not null
           and j.locked_at < now() - make_interval(secs => $1::double precision / 1000)
           and not exists (
             select 1 from ${QUEUE_SCHEMA}.workers w
             where w.worker_id = j.locked_by
               and w.heartbeat_at >= now() - make_interval(secs => $1::double precision / 1000))`,
        [this.leaseMs],
      );
      const dead = rows.map((r) => r.worker_id);
      if (dead.length > 0) {
        // The crash counts as an attempt (a job that kills its worker every time must not loop
        // forever), so say why, in case it was the last one.
        await this.pool.query(
          `update graphile_worker._private_jobs
           set last_error = 'lease expired during attempt ' || attempts || ': worker ' || locked_by ||
             ' stopped heartbeating (its process crashed, was killed, or stalled longer than the lease)',
             updated_at = now()
           where locked_by = any($1::text[])`,
          [dead],
        );
        await this.utils.forceUnlockWorkers(dead);
        await this.pool.query(`delete from ${QUEUE_SCHEMA}.workers where worker_id = any($1::text[])`, [dead]);
        // forceUnlockWorkers does not notify; without this, idle workers wait for their next poll.
        await this.pool.query(`select pg_notify('jobs:insert', $1)`, [JSON.stringify({ count: dead.length })]);
        this.logger.warn({ workerIds: dead }, `PostgreSQL job queue: freed the jobs of ${dead.length} worker(s) that stopped heartbeating`);
      }
      // Rows of workers that died holding nothing; long after any lease, so never a live worker.
      await this.pool.query(
        `delete from ${QUEUE_SCHEMA}.workers
         where heartbeat_at < now() - make_interval(secs => greatest($1::double precision / 100, 600))`,
        [this.leaseMs],
      );
      this.problem = undefined;
      return dead;
    } catch (error) {
      this.problem = `sweeping dead workers failed: ${(error as Error).message}`;
      this.logger.error({ err: error }, 'PostgreSQL job queue: sweeping dead workers failed');
      return [];
    }
  }
}
