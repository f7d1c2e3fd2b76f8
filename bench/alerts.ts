/**
 * Alert delivery benchmark. The targets: 10,000 events delivered to a local receiver at
 * 1,000/s or more, and the delivery rate to a healthy receiver unchanged (within 20%) while a
 * second webhook's receiver times out on every call.
 *
 * For each database (SQLite; PostgreSQL when reachable), on a fresh database with Furrow's services
 * and job queue in this process (4 in-process workers, the embedded default):
 * - emit: N `fieldCreated` events through the alerts outbox, each in its own transaction (the
 *   path every change takes), into one webhook; timed alone.
 * - healthy: the queue starts and drains them to a receiver in a child process on loopback, which
 *   checks every X-Leaf-Signature. Rate = N / (queue start to the last event received).
 * - with a dead receiver: the same on a fresh database, plus a second API owner's webhook whose
 *   receiver (another child) accepts connections and never answers, with events emitted for it too
 *   (interleaved), so its drain times out on every call throughout the run. The delivery timeout is
 *   1 s here (10 s in production), so the dead webhook makes many calls within the measured seconds.
 * - harsher: as many dead webhooks as there are workers (one per API owner), all on that receiver.
 *   Without the per-receiver limit every worker would hang in a call to it.
 * Each setup runs `repetitions` times, alternating, and the best run counts (the machine is shared).
 * Baseline, in the same run: the same N signed POSTs sent one after another with the same HTTP
 * sender straight to the receiver, no database: the ceiling of an in-order delivery. Ratios: healthy
 * / baseline, and with-dead / healthy (target >= 0.8).
 *
 * Run: `npx tsx bench/alerts.ts [N]` (N default 10,000; PostgreSQL from FURROW_TEST_DATABASE_URL or
 * the default test server, skipped when unreachable). `run()` returns the figures, `format()` prints them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { alertEvent, alertPayload, alertTimestamp, createAlertSender, serializeAlert, signatureHeaders } from '../src/alerts/index.js';
import { loadTestEnvironment } from '../src/config.js';
import { alertJobsOn } from '../src/jobs/alert-jobs.js';
import { createJobQueue } from '../src/jobs/create-job-queue.js';
import type { JobQueue } from '../src/jobs/queue.js';
import { createTasks } from '../src/jobs/tasks/index.js';
import { createServices, type Services } from '../src/services/index.js';
import { openStorage, type Storage } from '../src/storage/database.js';
import { postgresTestDatabase, sqliteTestDatabase, type TestDatabase } from '../src/storage/testing/test-databases.js';

export interface AlertsBenchOptions {
  /** Events to the healthy receiver per setup; default 10,000. */
  events?: number;
  /** Events emitted for the dead receiver's webhook; default 500. */
  deadEvents?: number;
  /** In-process workers; default 4 (the embedded default). */
  concurrency?: number;
  /** Runs of each setup, alternating; the best counts. Default 2. */
  repetitions?: number;
  databases?: ('sqlite' | 'postgres')[];
  log?: (line: string) => void;
}

export interface AlertsBenchResult {
  database: 'sqlite' | 'postgres';
  events: number;
  concurrency: number;
  /** Events emitted per second, one transaction each. */
  emitPerSecond: number;
  /** Healthy receiver alone: events delivered per second. */
  healthyPerSecond: number;
  /** The same with a second webhook whose receiver never answers. */
  withDeadPerSecond: number;
  /** The same with as many dead webhooks as workers, all on one receiver. */
  withManyDeadPerSecond: number;
  /** Dead webhooks in the harsher setup. */
  manyDeadWebhooks: number;
  /** Per dead setup: events emitted for the dead webhooks, calls the receiver got, deliveries given up. */
  dead: { events: number; calls: number; failedCalls: number };
  manyDead: { events: number; calls: number; failedCalls: number };
  /** Signed POSTs one after another, no database: the ceiling of in-order delivery. */
  baselinePerSecond: number;
  ratios: { healthyToBaseline: number; withDeadToHealthy: number; withManyDeadToHealthy: number };
  /** Receiver-side check of X-Leaf-Signature over the raw bytes. */
  badSignatures: number;
  targetsMet: { throughput: boolean; isolation: boolean; isolationMany: boolean };
}

export interface AlertsBenchReport {
  results: AlertsBenchResult[];
  notes: string[];
}

const SECRET = 'bench-secret';
const BENCH_JOBS = { pollIntervalMs: 1000, leaseMs: 30_000, shutdownTimeoutMs: 2000 };
const BENCH_TIMEOUT_MS = 1000;
// Retry points at 30 ms, 0.9 s, 1.8 s and 7.2 s after each event, so dead deliveries settle within a run.
const BENCH_RETRY_SCALE = 0.0005;

/**
 * The receiver, as plain JavaScript for a child `node`: answers 200 (or never, with `hang`),
 * verifies X-Leaf-Signature, counts events and remembers when the first and last arrived.
 */
const RECEIVER_SOURCE = `
const http = require('node:http');
const crypto = require('node:crypto');
const [secret, mode] = process.argv.slice(1);
const stats = { calls: 0, events: 0, badSignatures: 0, firstAt: 0, lastAt: 0 };
const server = http.createServer((req, res) => {
  if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats)); return; }
  if (req.url === '/reset') { Object.assign(stats, { calls: 0, events: 0, badSignatures: 0, firstAt: 0, lastAt: 0 }); res.end(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    stats.calls += 1;
    if (mode === 'hang') return;
    const raw = Buffer.concat(chunks);
    if (req.headers['x-leaf-signature'] !== crypto.createHmac('sha256', secret).update(raw).digest('base64')) stats.badSignatures += 1;
    if (raw.includes('"type": ')) {
      const now = performance.timeOrigin + performance.now();
      if (stats.events === 0) stats.firstAt = now;
      stats.events += 1;
      stats.lastAt = now;
    }
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

interface ReceiverStats {
  calls: number;
  events: number;
  badSignatures: number;
  firstAt: number;
  lastAt: number;
}

interface Receiver {
  url: string;
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
  stop(): void;
}

async function startReceiver(mode: 'ok' | 'hang'): Promise<Receiver> {
  const child: ChildProcess = spawn(process.execPath, ['-e', RECEIVER_SOURCE, SECRET, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code} before listening`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ask = (method: string, path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    stats: async () => JSON.parse(await ask('GET', '/stats')) as ReceiverStats,
    reset: async () => void (await ask('POST', '/reset')),
    stop() {
      agent.destroy();
      child.kill();
    },
  };
}

interface Setup {
  storage: Storage;
  services: Services;
  queue: JobQueue;
  drop(): Promise<void>;
}

async function openSetup(database: TestDatabase): Promise<Setup> {
  const { config, drop } = await database.create();
  const storage = openStorage(config);
  await storage.migrate();
  const services: Services = createServices(storage, {
    masterKey: crypto.randomBytes(32),
    jobs: { scheduleRefresh: async () => {}, cancel: async () => {} },
    // The queue is looked up on each wake-up: it is built from the services, after them.
    alerts: { jobs: alertJobsOn(() => queue), retryScale: BENCH_RETRY_SCALE, allowPrivate: true, timeoutMs: BENCH_TIMEOUT_MS },
  });
  const queue: JobQueue = createJobQueue(storage, BENCH_JOBS, createTasks(services), pino({ level: 'silent' }));
  await queue.ready();
  return {
    storage,
    services,
    queue,
    async drop() {
      await queue.close();
      services.alerts.close();
      await storage.close();
      await drop();
    },
  };
}

async function newOwnerWithWebhook(services: Services, url: string, events: string[]) {
  const email = `bench-${crypto.randomUUID()}@example.com`;
  const created = await services.apiOwners.create(email, 'correct horse battery');
  const owner = { ownerId: created.id, username: email };
  await services.alerts.createWebhook(owner, { events, name: 'bench', url, secret: SECRET });
  return owner;
}

async function emit(services: Services, ownerId: string, n: number, offset = 0): Promise<void> {
  for (let i = offset; i < offset + n; i += 1) {
    await services.alerts.transact((uow) => services.alerts.emit(uow, alertEvent('fieldCreated', ownerId, { source: 'SYNC', leafUserId: 'bench-user', fieldId: `field-${i}` })));
  }
}

async function waitForEvents(receiver: Receiver, n: number, timeoutMs: number): Promise<ReceiverStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await receiver.stats();
    if (stats.events >= n) return stats;
    if (Date.now() > deadline) throw new Error(`only ${stats.events} of ${n} events arrived within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface DeliveryRun {
  perSecond: number;
  emitPerSecond: number;
  badSignatures: number;
  deadCalls: number;
  failedCalls: number;
}

/**
 * One drain to the healthy receiver, beside `deadWebhooks` webhooks (one API owner each) on the
 * dead receiver; answers events/s and what the dead receiver saw.
 */
async function measureDelivery(database: TestDatabase, healthy: Receiver, dead: Receiver, deadWebhooks: number, n: number, deadEvents: number, concurrency: number): Promise<DeliveryRun> {
  const setup = await openSetup(database);
  try {
    await healthy.reset();
    await dead.reset();
    const owner = await newOwnerWithWebhook(setup.services, healthy.url, ['fieldCreated']);
    const deadOwners = [];
    for (let i = 0; i < deadWebhooks; i += 1) deadOwners.push(await newOwnerWithWebhook(setup.services, dead.url, ['fieldCreated']));
    const emitStarted = performance.now();
    // Interleaved, so the dead webhooks' queues are never empty while the healthy one drains.
    const step = deadWebhooks === 0 ? n : Math.ceil(n / deadEvents);
    let emitted = 0;
    for (let i = 0, d = 0; i < n; i += step, d += 1) {
      await emit(setup.services, owner.ownerId, Math.min(step, n - i), i);
      emitted += Math.min(step, n - i);
      const deadOwner = deadOwners[d % Math.max(1, deadOwners.length)];
      if (deadOwner !== undefined) {
        await emit(setup.services, deadOwner.ownerId, 1, d);
        emitted += 1;
      }
    }
    const emitSeconds = (performance.now() - emitStarted) / 1000;
    const started = performance.timeOrigin + performance.now();
    await setup.queue.start({ concurrency });
    const stats = await waitForEvents(healthy, n, 120_000);
    const seconds = (stats.lastAt - started) / 1000;
    const deadStats = await dead.stats();
    const failed = await setup.storage.db.selectFrom('alert_failed_calls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return { perSecond: n / seconds, emitPerSecond: emitted / emitSeconds, badSignatures: stats.badSignatures, deadCalls: deadWebhooks === 0 ? 0 : deadStats.calls, failedCalls: Number(failed.n) };
  } finally {
    await setup.drop();
  }
}

/** The same number of signed POSTs, in order, with the same sender, no database or queue. */
async function measureBaseline(receiver: Receiver, n: number): Promise<number> {
  await receiver.reset();
  const sender = createAlertSender({ allowPrivate: true, timeoutMs: BENCH_TIMEOUT_MS });
  try {
    let started = performance.now();
    // The first tenth warms the connection and the JIT, untimed, as the delivery runs are warmed.
    for (let i = -Math.ceil(n / 10); i < n; i += 1) {
      if (i === 0) started = performance.now();
      const body = serializeAlert(alertPayload(alertEvent('fieldCreated', 'o', { source: 'SYNC', leafUserId: 'bench-user', fieldId: `field-${i}` }), alertTimestamp(Date.now())));
      await sender.send({ url: receiver.url, headers: signatureHeaders(SECRET, crypto.randomUUID(), Date.now(), body), body });
    }
    return n / ((performance.now() - started) / 1000);
  } finally {
    sender.close();
  }
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function run(options: AlertsBenchOptions = {}): Promise<AlertsBenchReport> {
  const n = options.events ?? 10_000;
  const deadEvents = options.deadEvents ?? 500;
  const concurrency = options.concurrency ?? 4;
  const repetitions = options.repetitions ?? 2;
  const log = options.log ?? (() => {});
  const env = loadTestEnvironment();
  const notes: string[] = [
    `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}); receivers are child processes on loopback; Furrow, its workers and (for PostgreSQL) the server share the machine.`,
    `Dead receiver: accepts connections and never answers; delivery timeout ${BENCH_TIMEOUT_MS} ms and retry scale ${BENCH_RETRY_SCALE} in this benchmark (production: 10 s and 1).`,
  ];
  const databases: TestDatabase[] = [];
  for (const kind of options.databases ?? ['sqlite', 'postgres']) {
    if (kind === 'sqlite') databases.push(sqliteTestDatabase);
    else if (await postgresReachable(env.postgresUrl)) databases.push(postgresTestDatabase(env.postgresUrl));
    else notes.push(`PostgreSQL not reachable at ${env.postgresUrl}: skipped (start one with scripts/test-postgres.sh start).`);
  }
  const healthy = await startReceiver('ok');
  const dead = await startReceiver('hang');
  const results: AlertsBenchResult[] = [];
  try {
    const baseline = await measureBaseline(healthy, n);
    log(`baseline: ${Math.round(baseline)} signed POSTs/s in order`);
    for (const database of databases) {
      // Untimed warm-up of the whole path, so the first measured run is not also the JIT's.
      await measureDelivery(database, healthy, dead, 0, Math.ceil(n / 10), deadEvents, concurrency);
      const best = (runs: DeliveryRun[]) => runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
      const runs: Record<'alone' | 'one' | 'many', DeliveryRun[]> = { alone: [], one: [], many: [] };
      for (let r = 0; r < repetitions; r += 1) {
        for (const [name, deadWebhooks] of [['alone', 0], ['one', 1], ['many', concurrency]] as const) {
          const result = await measureDelivery(database, healthy, dead, deadWebhooks, n, deadEvents, concurrency);
          runs[name].push(result);
          log(`${database.name} run ${r + 1}: ${deadWebhooks} dead webhook(s): ${Math.round(result.perSecond)} delivered/s (emit ${Math.round(result.emitPerSecond)}/s, ${result.deadCalls} calls to the dead receiver)`);
        }
      }
      const alone = best(runs.alone);
      const one = best(runs.one);
      const many = best(runs.many);
      results.push({
        database: database.name,
        events: n,
        concurrency,
        emitPerSecond: Math.round(alone.emitPerSecond),
        healthyPerSecond: Math.round(alone.perSecond),
        withDeadPerSecond: Math.round(one.perSecond),
        withManyDeadPerSecond: Math.round(many.perSecond),
        manyDeadWebhooks: concurrency,
        dead: { events: deadEvents, calls: one.deadCalls, failedCalls: one.failedCalls },
        manyDead: { events: deadEvents, calls: many.deadCalls, failedCalls: many.failedCalls },
        baselinePerSecond: Math.round(baseline),
        ratios: { healthyToBaseline: round(alone.perSecond / baseline, 3), withDeadToHealthy: round(one.perSecond / alone.perSecond, 3), withManyDeadToHealthy: round(many.perSecond / alone.perSecond, 3) },
        badSignatures: [...runs.alone, ...runs.one, ...runs.many].reduce((sum, x) => sum + x.badSignatures, 0),
        targetsMet: { throughput: alone.perSecond >= 1000, isolation: one.perSecond / alone.perSecond >= 0.8, isolationMany: many.perSecond / alone.perSecond >= 0.8 },
      });
    }
  } finally {
    healthy.stop();
    dead.stop();
  }
  return { results, notes };
}

export function format(report: AlertsBenchReport): string {
  const rs = report.results;
  if (rs.length === 0) return ['No setup ran.', ...report.notes.map((n) => `note: ${n}`)].join('\n');
  const rows: string[][] = [
    ['', ...rs.map((r) => r.database)],
    ['events x workers', ...rs.map((r) => `${r.events} x ${r.concurrency}`)],
    ['emit (events/s, one transaction each)', ...rs.map((r) => String(r.emitPerSecond))],
    ['DELIVERED (events/s, target >= 1000)', ...rs.map((r) => `${r.healthyPerSecond}${r.targetsMet.throughput ? '' : ' (below target)'}`)],
    ['beside 1 dead webhook (events/s)', ...rs.map((r) => String(r.withDeadPerSecond))],
    ['WITH DEAD / HEALTHY (target >= 0.8)', ...rs.map((r) => `${r.ratios.withDeadToHealthy}x${r.targetsMet.isolation ? '' : ' (below target)'}`)],
    ['  dead: events / calls to it / given up', ...rs.map((r) => `${r.dead.events} / ${r.dead.calls} / ${r.dead.failedCalls}`)],
    ['beside N dead webhooks on 1 receiver, N = workers (events/s)', ...rs.map((r) => `${r.withManyDeadPerSecond} (N=${r.manyDeadWebhooks})`)],
    ['with N dead / healthy', ...rs.map((r) => `${r.ratios.withManyDeadToHealthy}x${r.targetsMet.isolationMany ? '' : ' (below 0.8)'}`)],
    ['  dead: events / calls to it / given up', ...rs.map((r) => `${r.manyDead.events} / ${r.manyDead.calls} / ${r.manyDead.failedCalls}`)],
    ['baseline: signed POSTs in order, no database (/s)', ...rs.map((r) => String(r.baselinePerSecond))],
    ['delivered / baseline', ...rs.map((r) => `${r.ratios.healthyToBaseline}x`)],
    ['bad signatures at the receiver', ...rs.map((r) => String(r.badSignatures))],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  return [...lines, '', ...report.notes.map((n) => `note: ${n}`)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const events = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const report = await run({ ...(events === undefined ? {} : { events }), log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${format(report)}\n`);
}
