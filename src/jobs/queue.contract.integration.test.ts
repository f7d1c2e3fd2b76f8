/**
 * The job queue contract: every implementation (SQLite, PostgreSQL with graphile-worker) passes
 * the same tests, with short leases and polls so the suite stays fast.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '../config.js';
import { isFurrowError } from '../domain/errors.js';
import type { Storage } from '../storage/database.js';
import { openTestStorage, testDatabases } from '../storage/testing/test-databases.js';
import { transactor } from '../storage/unit-of-work.js';
import { createJobQueue } from './create-job-queue.js';
import { defineTask } from './define-task.js';
import { PermanentJobError } from './permanent-job-error.js';
import type { JobQueue, JobQueueOptions, JobsConfig, TaskList } from './queue.js';
import { purgeFailedJobs } from './tasks/purge-failed-jobs.js';
import { countProbeEvents, createProbeTable, probeEvents, probeGauge, probeTask, probeTasks, sleep, stricterProbeTask, waitFor } from './testing/index.js';
import type { WorkerProcessArguments } from './testing/worker-process.js';

const databases = await testDatabases();
const fast: JobsConfig = { pollIntervalMs: 100, leaseMs: 1000, shutdownTimeoutMs: 500 };
const backoff = { baseMs: 100, maxMs: 400 };
const silent = pino({ level: 'silent' });
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

describe.each(databases)('the job queue on $name', (database) => {
  let storage: Storage & { config: DatabaseConfig };
  let opened: { close(): Promise<void> }[];
  let children: ChildProcess[];
  let runId: string;

  beforeEach(async () => {
    storage = await openTestStorage(database);
    await createProbeTable(storage);
    opened = [];
    children = [];
    runId = crypto.randomUUID();
    probeGauge.active = 0;
    probeGauge.max = 0;
  });

  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(opened.map((q) => q.close()));
    await storage.close();
  });

  function newQueue<T extends TaskList>(tasks: T, config: Partial<JobsConfig> = {}, options: JobQueueOptions = {}): JobQueue<T> {
    const queue = createJobQueue(storage, { ...fast, ...config }, tasks, silent, { backoff, ...options });
    opened.push(queue);
    return queue;
  }

  const starts = () => countProbeEvents(storage, runId, 'start');
  const ends = () => countProbeEvents(storage, runId, 'end');

  it('runs an enqueued job once and forgets it when done', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 2 });
    const id = await queue.enqueue('probe', { runId });
    await waitFor('the job to end', async () => (await ends()) === 1);
    await waitFor('the completed job to be deleted', async () => (await queue.getJob(id)) === undefined);
    expect(await starts()).toBe(1);
    const [start] = await probeEvents(storage, runId);
    expect(start).toMatchObject({ job_id: id, attempt: 1 });
  });

  it('gives each of many concurrent enqueues the id of its own job', async () => {
    const queue = newQueue(probeTasks(storage));
    const tags = Array.from({ length: 60 }, (_, i) => `job-${i}`);
    const ids = await Promise.all(tags.map((tag, i) => queue.enqueue('probe', { runId, tag }, i % 7 === 0 ? { runAt: new Date(Date.now() + 60_000) } : {})));
    expect(new Set(ids).size).toBe(tags.length);
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    expect(jobs.map((j) => (j?.payload as { tag: string }).tag)).toEqual(tags);
    expect(jobs.filter((j) => j!.runAt.getTime() > Date.now() + 30_000)).toHaveLength(Math.ceil(tags.length / 7));
  });

  it('wakes idle workers at once on enqueue instead of waiting for the next poll', async () => {
    const queue = newQueue(probeTasks(storage), { pollIntervalMs: 10_000 });
    await queue.start({ concurrency: 1 });
    await sleep(300); // the workers' first poll found nothing; now only a wakeup can start the job
    const enqueuedAt = Date.now();
    await queue.enqueue('probe', { runId });
    await waitFor('the job to start', async () => (await starts()) === 1, { timeoutMs: 5000 });
    const [start] = await probeEvents(storage, runId);
    expect(start!.at_ms - enqueuedAt).toBeLessThan(1000);
  });

  it('does not run a job before its runAt', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 1 });
    const runAt = new Date(Date.now() + 700);
    const id = await queue.enqueue('probe', { runId }, { runAt });
    await sleep(350);
    expect(await starts()).toBe(0);
    expect(await queue.getJob(id)).toMatchObject({ state: 'pending', runAt, attempts: 0 });
    await waitFor('the job to start', async () => (await starts()) === 1, { timeoutMs: 5000 });
    const [start] = await probeEvents(storage, runId);
    expect(start!.at_ms).toBeGreaterThanOrEqual(runAt.getTime() - 5);
  });

  it('keeps one pending job per key: enqueueing again replaces its payload', async () => {
    const queue = newQueue(probeTasks(storage));
    const first = await queue.enqueue('probe', { runId, tag: 'first' }, { key: `sync:${runId}` });
    const second = await queue.enqueue('probe', { runId, tag: 'second' }, { key: `sync:${runId}` });
    expect(second).toBe(first);
    expect(await queue.getJob(first)).toMatchObject({ state: 'pending', key: `sync:${runId}`, payload: { runId, tag: 'second' } });
    await queue.start({ concurrency: 2 });
    await waitFor('the job to end', async () => (await ends()) === 1);
    await sleep(300);
    const events = await probeEvents(storage, runId);
    expect(events.map((e) => [e.event, e.tag])).toEqual([['start', 'second'], ['end', 'second']]);
  });

  it('enqueues inside a caller\'s transaction: the job exists if and only if the transaction commits', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 1 });
    const transact = transactor(storage.db);
    await expect(
      transact(async (uow) => {
        await queue.enqueue('probe', { runId, tag: 'rolled-back' }, { key: `within:${runId}`, within: uow });
        throw new Error('the caller\'s change failed');
      }),
    ).rejects.toThrow('the caller\'s change failed');
    const id = await transact((uow) => queue.enqueue('probe', { runId, tag: 'committed' }, { key: `within:${runId}`, within: uow }));
    await waitFor('the committed job to end', async () => (await ends()) === 1, { timeoutMs: 5000 });
    await sleep(300);
    const events = await probeEvents(storage, runId);
    expect(events.map((e) => [e.event, e.tag, e.job_id])).toEqual([['start', 'committed', id], ['end', 'committed', id]]);
  });

  it('enqueues several keyed jobs at once inside one transaction, each replacing its own key\'s pending job', async () => {
    const queue = newQueue(probeTasks(storage));
    const later = new Date(Date.now() + 60 * 60_000);
    const keys = [0, 1, 2, 3].map((i) => `within-many:${runId}:${i}`);
    const before = await queue.enqueue('probe', { runId, tag: 'replaced' }, { key: keys[1]!, runAt: later });
    const transact = transactor(storage.db);
    const ids = await transact((uow) => Promise.all(keys.map((key, i) => queue.enqueue('probe', { runId, tag: `job ${i}` }, { key, runAt: later, within: uow }))));
    expect(new Set(ids).size).toBe(keys.length);
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    expect(jobs.map((j) => [j?.key, (j?.payload as { tag: string }).tag, j?.state])).toEqual(keys.map((key, i) => [key, `job ${i}`, 'pending']));
    expect(ids[1]).toBe(before);
  });

  it('adds a new pending job beside a running one with the same key', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 2 });
    const key = `sync:${runId}`;
    const running = await queue.enqueue('probe', { runId, tag: 'first', sleepMs: 600 }, { key });
    await waitFor('the first job to start', async () => (await starts()) === 1);
    expect((await queue.getJob(running))?.state).toBe('running');
    const pending = await queue.enqueue('probe', { runId, tag: 'second' }, { key });
    expect(pending).not.toBe(running);
    await waitFor('both jobs to end', async () => (await ends()) === 2, { timeoutMs: 5000 });
    const ended = (await probeEvents(storage, runId)).filter((e) => e.event === 'end').map((e) => e.tag);
    expect(ended.sort()).toEqual(['first', 'second']);
  });

  it('retries a failing job with growing backoff, then keeps it visible as failed with its last error', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 1 });
    const id = await queue.enqueue('probe', { runId, failTimes: 99 }, { maxAttempts: 3 });
    await waitFor('the job to fail for good', async () => (await queue.failedJobs()).some((j) => j.id === id), { timeoutMs: 10_000 });
    expect(await queue.getJob(id)).toMatchObject({
      id,
      task: 'probe',
      state: 'failed',
      attempts: 3,
      maxAttempts: 3,
      lastError: expect.stringContaining('probe failure on attempt 3'),
    });
    expect((await queue.failedJobs({ task: 'probe' })).map((j) => j.id)).toEqual([id]);
    const attempts = (await probeEvents(storage, runId)).filter((e) => e.event === 'start');
    expect(attempts.map((e) => e.attempt)).toEqual([1, 2, 3]);
    // Jittered between half and all of 100 ms, then of 200 ms.
    expect(attempts[1]!.at_ms - attempts[0]!.at_ms).toBeGreaterThanOrEqual(50);
    expect(attempts[2]!.at_ms - attempts[1]!.at_ms).toBeGreaterThanOrEqual(100);
    await sleep(500);
    expect(await starts()).toBe(3);
  });

  it('completes a job on a retry after transient failures', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 1 });
    const id = await queue.enqueue('probe', { runId, failTimes: 2 }, { maxAttempts: 5 });
    await waitFor('the job to end', async () => (await ends()) === 1, { timeoutMs: 10_000 });
    expect(await starts()).toBe(3);
    await waitFor('the completed job to be deleted', async () => (await queue.getJob(id)) === undefined);
    expect(await queue.failedJobs()).toEqual([]);
  });

  it('fails a job whose stored payload no longer matches its schema at once and visibly, without running it', async () => {
    const olderRelease = newQueue({ probe: probeTask(storage) });
    const id = await olderRelease.enqueue('probe', { runId, tag: 'not-a-number' });
    const newerRelease = newQueue({ probe: stricterProbeTask(storage) });
    await newerRelease.start({ concurrency: 1 });
    await waitFor('the job to fail', async () => (await newerRelease.getJob(id))?.state === 'failed');
    const job = await newerRelease.getJob(id);
    expect(job).toMatchObject({ attempts: 1, maxAttempts: 1, task: 'probe' });
    expect(job!.lastError).toMatch(/does not match the schema of task "probe"/);
    expect(job!.lastError).toMatch(/payload\.tag/);
    expect(await starts()).toBe(0);
  });

  it('fails a job at once when its task throws PermanentJobError', async () => {
    const giveUp = defineTask({
      name: 'give-up',
      payload: Type.Object({}),
      run: async () => {
        throw new PermanentJobError('credential revoked by the provider');
      },
    });
    const queue = newQueue({ 'give-up': giveUp });
    await queue.start({ concurrency: 1 });
    const id = await queue.enqueue('give-up', {});
    await waitFor('the job to fail', async () => (await queue.getJob(id))?.state === 'failed');
    expect(await queue.getJob(id)).toMatchObject({ attempts: 1, maxAttempts: 1, lastError: 'PermanentJobError: credential revoked by the provider' });
  });

  it('refuses to enqueue a payload that does not match the task schema', async () => {
    const queue = newQueue(probeTasks(storage));
    const attempt = queue.enqueue('probe', { runId: 42 } as never);
    await expect(attempt).rejects.toSatisfy((e: unknown) => isFurrowError(e, 'validation_failed') && /payload\.runId/.test(e.message));
  });

  it('fires a schedule once per period with two queue instances running', async () => {
    const everyMs = 400;
    const schedule = { name: `tick-${runId}`, task: 'probe' as const, payload: { runId, tag: 'tick' }, everyMs };
    const a = newQueue(probeTasks(storage));
    const b = newQueue(probeTasks(storage));
    a.schedule(schedule);
    b.schedule(schedule);
    await Promise.all([a.start({ concurrency: 2 }), b.start({ concurrency: 2 })]);
    await sleep(2100);
    await Promise.all([a.stop(), b.stop()]);
    const periods = (await probeEvents(storage, runId)).filter((e) => e.event === 'start').map((e) => Date.parse(e.run_at) / everyMs);
    expect(periods.length).toBeGreaterThanOrEqual(4);
    expect(new Set(periods).size).toBe(periods.length);
    const sorted = [...periods].sort((x, y) => x - y);
    expect(sorted).toEqual(sorted.map((_, i) => sorted[0]! + i));
  });

  it('runs at most `concurrency` jobs at once in a process', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 3 });
    for (let i = 0; i < 9; i++) await queue.enqueue('probe', { runId, sleepMs: 200 });
    await waitFor('all jobs to end', async () => (await ends()) === 9, { timeoutMs: 10_000 });
    expect(probeGauge.max).toBe(3);
  });

  it('hands back the backlog it has not started when it stops: another instance runs every job once, on its first attempt', async () => {
    const first = newQueue(probeTasks(storage), { shutdownTimeoutMs: 3000 });
    await first.start({ concurrency: 2 });
    for (let i = 0; i < 12; i++) await first.enqueue('probe', { runId, tag: `job-${i}`, sleepMs: 150 });
    await waitFor('two jobs to start', async () => (await starts()) >= 2);
    await first.stop();
    const second = newQueue(probeTasks(storage));
    await second.start({ concurrency: 4 });
    await waitFor('every job to end', async () => (await ends()) === 12, { timeoutMs: 10_000 });
    await sleep(300);
    const started = (await probeEvents(storage, runId)).filter((e) => e.event === 'start');
    expect(started.map((e) => e.tag).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `job-${i}`).sort());
    expect(started.every((e) => e.attempt === 1)).toBe(true);
  });

  it('lets a running job finish when it ends within the shutdown timeout', async () => {
    const queue = newQueue(probeTasks(storage), { shutdownTimeoutMs: 3000 });
    await queue.start({ concurrency: 1 });
    const id = await queue.enqueue('probe', { runId, sleepMs: 400 });
    await waitFor('the job to start', async () => (await starts()) === 1);
    const stoppingAt = Date.now();
    await queue.stop();
    expect(Date.now() - stoppingAt).toBeLessThan(2500);
    expect(await ends()).toBe(1);
    expect(await queue.getJob(id)).toBeUndefined();
  });

  it('releases a job still running at the shutdown timeout, and another instance completes it at once', async () => {
    const stopping = newQueue(probeTasks(storage, { hang: 'until-aborted' }), { shutdownTimeoutMs: 300 });
    const other = newQueue(probeTasks(storage), { pollIntervalMs: 10_000 });
    await stopping.start({ concurrency: 1 });
    const id = await stopping.enqueue('probe', { runId });
    await waitFor('the job to start', async () => (await starts()) === 1);
    await other.start({ concurrency: 1 });
    await sleep(200); // `other` polled and found nothing: only the release can wake it
    const stoppingAt = Date.now();
    await stopping.stop();
    expect(Date.now() - stoppingAt).toBeLessThan(2000);
    await waitFor('the other instance to complete the job', async () => (await ends()) === 1, { timeoutMs: 3000 });
    const [first, second] = (await probeEvents(storage, runId)).filter((e) => e.event === 'start');
    expect(second!.job_id).toBe(id);
    // Released, not failed: the interrupted run does not use up an attempt.
    expect([first!.attempt, second!.attempt]).toEqual([1, 1]);
    expect(second!.at_ms - stoppingAt).toBeLessThan(1500);
  });

  it('runs the job of a SIGKILLed worker process again on another worker once its lease expires, exactly once to completion', async () => {
    const survivor = newQueue(probeTasks(storage));
    const id = await survivor.enqueue('probe', { runId });
    const args: WorkerProcessArguments = { database: storage.config, jobs: fast, behaviour: { hang: 'forever' }, concurrency: 1 };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/jobs/testing/worker-process.ts', JSON.stringify(args)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));

    await waitFor('the worker process to start the job', async () => {
      if (child.exitCode !== null) throw new Error(`worker process exited early:\n${output}`);
      return (await starts()) === 1;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    expect((await survivor.getJob(id))?.state).toBe('running');

    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    await survivor.start({ concurrency: 1 });
    await waitFor('another worker to complete the job', async () => (await ends()) === 1, { timeoutMs: 15_000 });

    const events = await probeEvents(storage, runId);
    expect(events.map((e) => [e.event, e.attempt])).toEqual([['start', 1], ['start', 2], ['end', 2]]);
    // Freed after about a lease, not graphile-worker's 4 hours.
    expect(events[1]!.at_ms - killedAt).toBeLessThan(fast.leaseMs * 4);
    await sleep(fast.leaseMs * 1.5);
    expect(await starts()).toBe(2);
    expect(await ends()).toBe(1);
    expect(await survivor.getJob(id)).toBeUndefined();
  });

  it('cancels a pending job by its key: it is deleted and never runs', async () => {
    const queue = newQueue(probeTasks(storage));
    const key = `credential:${runId}`;
    const id = await queue.enqueue('probe', { runId, tag: 'cancelled' }, { key });
    const other = await queue.enqueue('probe', { runId, tag: 'kept' }, { key: `credential:${runId}:other` });
    expect(await queue.cancel(key)).toBe(1);
    expect(await queue.getJob(id)).toBeUndefined();
    expect(await queue.getJob(other)).toMatchObject({ state: 'pending' });
    await queue.start({ concurrency: 2 });
    await waitFor('the other job to end', async () => (await ends()) === 1);
    await sleep(300);
    expect((await probeEvents(storage, runId)).map((e) => e.tag)).toEqual(['kept', 'kept']);
  });

  it('cancels a job waiting for its retry', async () => {
    const queue = newQueue(probeTasks(storage), {}, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    await queue.start({ concurrency: 1 });
    const key = `credential:${runId}`;
    const id = await queue.enqueue('probe', { runId, failTimes: 1 }, { key, maxAttempts: 3 });
    await waitFor('the first attempt to fail', async () => (await queue.getJob(id))?.lastError != null);
    expect(await queue.getJob(id)).toMatchObject({ state: 'pending', attempts: 1 });
    expect(await queue.cancel(key)).toBe(1);
    expect(await queue.getJob(id)).toBeUndefined();
  });

  it('lets a job cancelled while running finish, and does not retry it when it fails', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 2 });
    const succeeds = await queue.enqueue('probe', { runId, tag: 'succeeds', sleepMs: 500 }, { key: `credential:${runId}:a` });
    const fails = await queue.enqueue('probe', { runId, tag: 'fails', sleepMs: 500, failTimes: 1 }, { key: `credential:${runId}:b`, maxAttempts: 5 });
    await waitFor('both jobs to start', async () => (await starts()) === 2);
    expect(await queue.cancel(`credential:${runId}:a`)).toBe(1);
    expect(await queue.cancel(`credential:${runId}:b`)).toBe(1);
    expect(await queue.getJob(succeeds)).toMatchObject({ state: 'running', key: null });
    expect(await queue.getJob(fails)).toMatchObject({ state: 'running', key: null });
    await waitFor('the succeeding job to end', async () => (await ends()) === 1, { timeoutMs: 5000 });
    await waitFor('the completed job to be deleted', async () => (await queue.getJob(succeeds)) === undefined);
    await waitFor('the failing job to fail for good', async () => (await queue.getJob(fails))?.state === 'failed', { timeoutMs: 5000 });
    expect(await queue.getJob(fails)).toMatchObject({ key: null, lastError: expect.stringContaining('probe failure on attempt 1') });
    expect((await queue.failedJobs()).map((j) => j.id)).toEqual([fails]);
    await sleep(600); // a retry would start within the 100-400 ms backoff
    expect((await probeEvents(storage, runId)).filter((e) => e.event === 'start').map((e) => e.tag).sort()).toEqual(['fails', 'succeeds']);
  });

  it('does not run a job cancelled while running again when it is released at shutdown', async () => {
    const stopping = newQueue(probeTasks(storage, { hang: 'until-aborted' }), { shutdownTimeoutMs: 300 });
    const other = newQueue(probeTasks(storage));
    await stopping.start({ concurrency: 1 });
    const key = `credential:${runId}`;
    const id = await stopping.enqueue('probe', { runId }, { key });
    await waitFor('the job to start', async () => (await starts()) === 1);
    expect(await stopping.cancel(key)).toBe(1);
    await other.start({ concurrency: 1 });
    await stopping.stop();
    await sleep(600);
    expect(await starts()).toBe(1);
    expect(await other.getJob(id)).toMatchObject({ state: 'failed', key: null, lockedBy: null });
  });

  it('returns 0 when cancelling a key that no job holds', async () => {
    const queue = newQueue(probeTasks(storage));
    expect(await queue.cancel(`credential:${runId}`)).toBe(0);
    const id = await queue.enqueue('probe', { runId }, { key: `credential:${runId}` });
    expect(await queue.cancel(`credential:${runId}`)).toBe(1);
    expect(await queue.cancel(`credential:${runId}`)).toBe(0);
    const keyless = await queue.enqueue('probe', { runId });
    expect(await queue.cancel(keyless)).toBe(0);
    expect(await queue.getJob(keyless)).toMatchObject({ state: 'pending' });
    expect(await queue.getJob(id)).toBeUndefined();
  });

  it('enqueues with a key again after cancelling it, whether the cancelled job was pending or running', async () => {
    const queue = newQueue(probeTasks(storage));
    const key = `credential:${runId}`;
    const cancelled = await queue.enqueue('probe', { runId, tag: 'cancelled' }, { key });
    expect(await queue.cancel(key)).toBe(1);
    const again = await queue.enqueue('probe', { runId, tag: 'again', sleepMs: 500 }, { key });
    expect(again).not.toBe(cancelled);
    expect(await queue.getJob(again)).toMatchObject({ state: 'pending', key, payload: { runId, tag: 'again', sleepMs: 500 } });
    await queue.start({ concurrency: 2 });
    await waitFor('the new job to start', async () => (await starts()) === 1);
    expect(await queue.cancel(key)).toBe(1);
    const third = await queue.enqueue('probe', { runId, tag: 'third' }, { key });
    expect(third).not.toBe(again);
    await waitFor('both jobs to end', async () => (await ends()) === 2, { timeoutMs: 5000 });
    const ended = (await probeEvents(storage, runId)).filter((e) => e.event === 'end').map((e) => e.tag);
    expect(ended.sort()).toEqual(['again', 'third']);
  });

  it('purges failed jobs older than the retention period, through the purge-failed-jobs task', async () => {
    const queue = newQueue({ ...probeTasks(storage), 'purge-failed-jobs': purgeFailedJobs });
    await queue.start({ concurrency: 1 });
    const failed = await queue.enqueue('probe', { runId, failTimes: 1 }, { maxAttempts: 1 });
    await waitFor('the job to fail', async () => (await queue.getJob(failed))?.state === 'failed');
    const purge = await queue.enqueue('purge-failed-jobs', { olderThanDays: 1 });
    await waitFor('the purge to complete', async () => (await queue.getJob(purge)) === undefined);
    expect((await queue.failedJobs()).map((j) => j.id)).toEqual([failed]);
    expect(await queue.purgeFailedJobs(new Date(Date.now() + 1000))).toBe(1);
    expect(await queue.failedJobs()).toEqual([]);
  });

  it('reports ready while it reaches its database, and not once closed', async () => {
    const queue = newQueue(probeTasks(storage));
    await queue.start({ concurrency: 1 });
    expect(await queue.ready()).toEqual({ ready: true });
    await expect(queue.checkHealth()).resolves.toBeUndefined();
    await queue.close();
    expect(await queue.ready()).toMatchObject({ ready: false });
    await expect(queue.checkHealth()).rejects.toSatisfy((e: unknown) => isFurrowError(e, 'service_unavailable'));
  });
});
