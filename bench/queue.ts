/**
 * Job queue benchmark, for each implementation on a fresh database: end-to-end throughput
 * (enqueue N trivial jobs, then run them all), a producer/consumer run (workers take jobs while
 * they are being enqueued), and pickup latency (enqueue to handler start, one job at a time).
 * Each figure is also given as a ratio to a baseline measured in the same run on the same
 * database: a bare INSERT then DELETE of a job-sized row, the least work a durable queue can do
 * per job.
 *
 * Run: `npx tsx bench/queue.ts` (PostgreSQL from FURROW_TEST_DATABASE_URL or the default test
 * server). `run()` returns the figures for bench/run.ts.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Type } from '@sinclair/typebox';
import pg from 'pg';
import pino from 'pino';
import { loadTestEnvironment, type DatabaseConfig } from '../src/config.js';
import { createJobQueue } from '../src/jobs/create-job-queue.js';
import { defineTask } from '../src/jobs/define-task.js';
import type { JobsConfig } from '../src/jobs/queue.js';
import { openStorage, type Storage } from '../src/storage/database.js';
import { postgresTestDatabase, sqliteTestDatabase, type TestDatabase } from '../src/storage/testing/test-databases.js';

export interface QueueBenchOptions {
  /** Jobs per throughput run; default 20,000. */
  jobs?: number;
  /** Jobs run at once; default 10. */
  concurrency?: number;
  /** Single jobs timed for pickup latency; default 200. */
  latencySamples?: number;
  implementations?: ('sqlite' | 'postgres')[];
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

export interface QueueBenchResult {
  implementation: 'sqlite' | 'postgres';
  jobs: number;
  concurrency: number;
  /** Jobs enqueued per second, one `enqueue()` call each. */
  enqueuePerSecond: number;
  /** Jobs completed per second once all were enqueued and the workers started. */
  drainPerSecond: number;
  /** N / (time to enqueue all + time to run all): the target is at least 2,000. */
  endToEndPerSecond: number;
  /** N / (first enqueue to last completion) with workers running while the producer enqueues. */
  producerConsumerPerSecond: number;
  /** Enqueue call start to handler start, idle workers; the target is p50 at most 50 ms. */
  pickupLatencyMs: { p50: number; p95: number; p99: number; samples: number };
  baseline: { what: string; perSecond: number };
  /** Throughput figures divided by the baseline's rate. */
  ratioToBaseline: { endToEnd: number; producerConsumer: number };
  targetsMet: { throughput: boolean; latency: boolean };
  /** Durability settings the figures were measured under. */
  durability: string;
}

export interface QueueBenchReport {
  results: QueueBenchResult[];
  notes: string[];
}

const BENCH_JOBS: JobsConfig = { pollIntervalMs: 1000, leaseMs: 30_000, shutdownTimeoutMs: 5000 };

/** Measures every implementation in turn and returns the figures. */
export async function run(options: QueueBenchOptions = {}): Promise<QueueBenchReport> {
  const log = options.log ?? (() => {});
  const env = loadTestEnvironment();
  const results: QueueBenchResult[] = [];
  for (const implementation of options.implementations ?? ['sqlite', 'postgres']) {
    const database: TestDatabase = implementation === 'sqlite' ? sqliteTestDatabase : postgresTestDatabase(env.postgresUrl);
    const { config, drop } = await database.create();
    try {
      log(`${implementation}: measuring on a fresh database`);
      results.push(await benchImplementation(implementation, config, options, log));
    } finally {
      await drop();
    }
  }
  const notes = [
    'Figures come from one machine running the benchmark and the database together; compare ratios across machines, not absolute rates.',
    ...results.map((r) => `${r.implementation}: ${r.durability}.`),
  ];
  return { results, notes };
}

async function benchImplementation(
  implementation: 'sqlite' | 'postgres',
  config: DatabaseConfig,
  options: QueueBenchOptions,
  log: (line: string) => void,
): Promise<QueueBenchResult> {
  const jobs = options.jobs ?? 20_000;
  const concurrency = options.concurrency ?? 10;
  const storage = openStorage(config);
  await storage.migrate();
  try {
    const durability = await describeDurability(config);
    const baseline = await measureBaseline(storage, Math.min(jobs, 10_000), concurrency);
    log(`${implementation}: baseline ${Math.round(baseline)} INSERT+DELETE/s`);

    const batch = await measureEnqueueThenDrain(storage, jobs, concurrency);
    log(`${implementation}: enqueue ${Math.round(batch.enqueuePerSecond)}/s, drain ${Math.round(batch.drainPerSecond)}/s`);
    const producerConsumer = await measureProducerConsumer(storage, jobs, concurrency);
    log(`${implementation}: producer/consumer ${Math.round(producerConsumer)}/s`);
    const latency = await measurePickupLatency(storage, options.latencySamples ?? 200);
    log(`${implementation}: pickup p50 ${latency.p50.toFixed(1)} ms`);

    const endToEnd = jobs / (jobs / batch.enqueuePerSecond + jobs / batch.drainPerSecond);
    return {
      implementation,
      jobs,
      concurrency,
      enqueuePerSecond: Math.round(batch.enqueuePerSecond),
      drainPerSecond: Math.round(batch.drainPerSecond),
      endToEndPerSecond: Math.round(endToEnd),
      producerConsumerPerSecond: Math.round(producerConsumer),
      pickupLatencyMs: latency,
      baseline: { what: `bare INSERT then DELETE of a job-sized row, ${implementation === 'postgres' ? `${concurrency} connections` : 'one connection'}`, perSecond: Math.round(baseline) },
      ratioToBaseline: { endToEnd: round(endToEnd / baseline, 3), producerConsumer: round(producerConsumer / baseline, 3) },
      targetsMet: { throughput: endToEnd >= 2000 && producerConsumer >= 2000, latency: latency.p50 <= 50 },
      durability,
    };
  } finally {
    await storage.close();
  }
}

/** The same no-op task for every run; it reports each start and counts completions. */
function noopTasks(onRun: (i: number) => void) {
  return {
    noop: defineTask({
      name: 'noop',
      payload: Type.Object({ i: Type.Integer() }),
      async run({ i }) {
        onRun(i);
      },
    }),
  };
}

const silent = pino({ level: 'silent' });

async function measureEnqueueThenDrain(storage: Storage, jobs: number, concurrency: number) {
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const queue = createJobQueue(storage, BENCH_JOBS, noopTasks(() => ++done === jobs && allDone()), silent);
  try {
    await queue.ready(); // installs the queue's tables outside the timed part
    const enqueueStart = performance.now();
    await produce(jobs, (i) => queue.enqueue('noop', { i }));
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
    const drainStart = performance.now();
    await queue.start({ concurrency });
    await finished;
    const drainSeconds = (performance.now() - drainStart) / 1000;
    return { enqueuePerSecond: jobs / enqueueSeconds, drainPerSecond: jobs / drainSeconds };
  } finally {
    await queue.close();
  }
}

async function measureProducerConsumer(storage: Storage, jobs: number, concurrency: number): Promise<number> {
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const queue = createJobQueue(storage, BENCH_JOBS, noopTasks(() => ++done === jobs && allDone()), silent);
  try {
    await queue.start({ concurrency });
    const start = performance.now();
    await produce(jobs, (i) => queue.enqueue('noop', { i }));
    await finished;
    return jobs / ((performance.now() - start) / 1000);
  } finally {
    await queue.close();
  }
}

async function measurePickupLatency(storage: Storage, samples: number): Promise<QueueBenchResult['pickupLatencyMs']> {
  const startedAt = new Map<number, number>();
  let started: (i: number) => void = () => {};
  const queue = createJobQueue(
    storage,
    BENCH_JOBS,
    noopTasks((i) => {
      startedAt.set(i, performance.now());
      started(i);
    }),
    silent,
  );
  const latencies: number[] = [];
  try {
    await queue.start({ concurrency: 4 });
    await sleep(300);
    for (let i = 0; i < samples; i++) {
      // Spaced out and jittered, so each job meets idle workers rather than a busy loop.
      await sleep(5 + Math.random() * 20);
      const running = new Promise<number>((resolve) => (started = resolve));
      const enqueuedAt = performance.now();
      await queue.enqueue('noop', { i });
      await running;
      latencies.push(startedAt.get(i)! - enqueuedAt);
    }
  } finally {
    await queue.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!, 2);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples };
}

/**
 * The least a durable queue must do per job, on the same database and driver: insert a row
 * holding a payload, then delete it, through the storage's own Kysely instance.
 */
async function measureBaseline(storage: Storage, rows: number, concurrency: number): Promise<number> {
  const db = storage.db.withTables<{ bench_baseline: { id: number; payload: string } }>();
  await db.schema.createTable('bench_baseline').ifNotExists().addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('payload', 'text').execute();
  const parallel = storage.dialect.kind === 'postgres' ? concurrency : 1;
  const start = performance.now();
  await produce(
    rows,
    async (i) => {
      await db.insertInto('bench_baseline').values({ id: i, payload: JSON.stringify({ i }) }).execute();
      await db.deleteFrom('bench_baseline').where('id', '=', i).execute();
    },
    parallel,
  );
  const perSecond = rows / ((performance.now() - start) / 1000);
  await db.schema.dropTable('bench_baseline').execute();
  return perSecond;
}

/** Calls `each(0..n-1)` with up to `parallel` calls in flight, as concurrent API requests would. */
async function produce(n: number, each: (i: number) => Promise<unknown>, parallel = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) await each(next++);
    }),
  );
}

async function describeDurability(config: DatabaseConfig): Promise<string> {
  if (config.kind === 'sqlite') return 'SQLite in WAL mode with synchronous=NORMAL (durable across process crashes; the last commits may be lost on power loss)';
  const client = new pg.Client({ connectionString: config.url });
  await client.connect();
  try {
    const setting = async (name: string) => (await client.query<Record<string, string>>(`show ${name}`)).rows[0]![name];
    const fsync = await setting('fsync');
    const synchronousCommit = await setting('synchronous_commit');
    const warning = fsync === 'off' ? ' (this test server trades durability for speed: expect lower figures with fsync on)' : '';
    return `PostgreSQL with fsync=${fsync}, synchronous_commit=${synchronousCommit}${warning}`;
  } finally {
    await client.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The figures as a table, then as ratios to the baseline. */
export function formatReport(report: QueueBenchReport): string {
  const rows: string[][] = [
    ['', ...report.results.map((r) => r.implementation)],
    ['jobs x concurrency', ...report.results.map((r) => `${r.jobs} x ${r.concurrency}`)],
    ['enqueue (jobs/s)', ...report.results.map((r) => String(r.enqueuePerSecond))],
    ['drain (jobs/s)', ...report.results.map((r) => String(r.drainPerSecond))],
    ['end to end (jobs/s, target >= 2000)', ...report.results.map((r) => `${r.endToEndPerSecond}${r.endToEndPerSecond >= 2000 ? '' : ' (below target)'}`)],
    ['producer/consumer (jobs/s)', ...report.results.map((r) => `${r.producerConsumerPerSecond}${r.producerConsumerPerSecond >= 2000 ? '' : ' (below target)'}`)],
    ['pickup p50 (ms, target <= 50)', ...report.results.map((r) => String(r.pickupLatencyMs.p50))],
    ['pickup p95 / p99 (ms)', ...report.results.map((r) => `${r.pickupLatencyMs.p95} / ${r.pickupLatencyMs.p99}`)],
    ['baseline INSERT+DELETE (rows/s)', ...report.results.map((r) => String(r.baseline.perSecond))],
    ['end to end / baseline', ...report.results.map((r) => `${r.ratioToBaseline.endToEnd}x`)],
    ['producer/consumer / baseline', ...report.results.map((r) => `${r.ratioToBaseline.producerConsumer}x`)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  return [...lines, '', ...report.notes.map((n) => `note: ${n}`)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await run({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${formatReport(report)}\n`);
}
