/**
 * Sync benchmark (issue 5): a sandbox John Deere `large` account (2,000 fields over six
 * organizations, five connected; five machine files per field) synced end to end by Furrow:
 * organizations, growers, farms, fields, boundaries, and every machine file downloaded into the
 * blob store as a batch (the conversions those batches queue are timed too, apart). Targets: at
 * most 5 minutes and 512 MB peak RSS on SQLite in one process.
 *
 * Setups, each on a fresh database, against one emulator host:
 * - SQLite: `furrow serve` with its in-process workers (the embedded deployment), then a re-sync
 *   with nothing changed: its provider calls (the emulator's `/stats`) and its duration.
 * - PostgreSQL: `furrow serve` with no workers plus one `furrow worker` process, then plus three;
 *   the ratio of their times is what the extra processes bring on this machine.
 * The provider runs in a process of its own (`credentials-emulator-host.ts`, a Furrow serving only
 * the sandbox), as Deere's servers would be elsewhere; its CPU is taken from the same cores.
 * Every Furrow process runs the TypeScript sources through tsx, so RSS includes the transpiler.
 *
 * Run: `npm run bench -- sync` or `npx tsx bench/sync.ts [fields] [--only sqlite|postgres]`
 * (PostgreSQL from FURROW_TEST_DATABASE_URL or the default test server, skipped when unreachable).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadTestEnvironment } from '../src/config.js';
import { postgresTestDatabase } from '../src/storage/testing/test-databases.js';
import { firstLineOf } from './first-line.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const EMULATOR_HOST = fileURLToPath(new URL('./credentials-emulator-host.ts', import.meta.url));
const SEED = 20_260_501;
const USERS = '/services/usermanagement/api/users';
/** [I] Generous bounds, so a slow shared machine reports a slow figure rather than no figure. */
const SYNC_TIMEOUT_MS = 20 * 60_000;
const PROCESSING_TIMEOUT_MS = 10 * 60_000;

export interface SyncMeasurement {
  label: string;
  /** Credentials POSTed to the run's SUCCEEDED. */
  syncSeconds: number | undefined;
  /** POST to the last file downloaded and stored as a batch: the end-to-end sync. */
  endToEndSeconds: number | undefined;
  /** POST to the last queued conversion finished (undefined: not within the bound). */
  processedSeconds: number | undefined;
  fields: number;
  boundaries: number;
  batches: number;
  failedBatches: number;
  /** The most common reasons of FAILED batches, with their counts. */
  failureReasons: string[];
  /** Peak RSS (VmHWM) of the API process, and the largest of the worker processes. */
  apiPeakRssMb: number;
  workerPeakRssMb: number | undefined;
  providerCalls: number;
  note?: string;
}

export interface ResyncMeasurement {
  seconds: number;
  providerCalls: number;
  counts: unknown;
}

export interface SyncBenchReport {
  fields: number;
  files: number;
  measurements: SyncMeasurement[];
  resync: ResyncMeasurement | undefined;
  notes: string[];
}

interface Options {
  fields?: number;
  only?: 'sqlite' | 'postgres';
  log?: (line: string) => void;
}

export async function run(options: Options = {}): Promise<SyncBenchReport> {
  const fields = options.fields ?? 2000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const notes: string[] = [];
  const measurements: SyncMeasurement[] = [];
  let resync: ResyncMeasurement | undefined;
  const emulator = await startEmulatorHost();
  let files = 0;
  try {
    if (options.only !== 'postgres') {
      const sqlite = await measure({ database: 'sqlite', workerProcesses: 0, fields, emulator, log, resync: true });
      measurements.push(sqlite.measurement);
      resync = sqlite.resync;
      files = sqlite.files;
    }
    if (options.only !== 'sqlite') {
      const adminUrl = loadTestEnvironment().postgresUrl;
      if (!(await reachable(adminUrl))) {
        notes.push(`PostgreSQL not reachable at ${adminUrl}: its setups were skipped (start one with scripts/test-postgres.sh start).`);
      } else {
        for (const workerProcesses of [1, 3]) {
          const result = await measure({ database: 'postgres', adminUrl, workerProcesses, fields, emulator, log, resync: false });
          measurements.push(result.measurement);
          files = result.files;
        }
      }
    }
  } finally {
    await emulator.stop();
  }
  return { fields, files, measurements, resync, notes };
}

interface MeasureOptions {
  database: 'sqlite' | 'postgres';
  adminUrl?: string;
  workerProcesses: number;
  fields: number;
  emulator: EmulatorHost;
  log: (line: string) => void;
  resync: boolean;
}

async function measure(options: MeasureOptions): Promise<{ measurement: SyncMeasurement; resync: ResyncMeasurement | undefined; files: number }> {
  const { emulator, log } = options;
  const label = options.database === 'sqlite' ? 'SQLite, 1 process (serve, 4 in-process workers)' : `PostgreSQL, serve + ${options.workerProcesses} worker process${options.workerProcesses === 1 ? '' : 'es'} (4 workers each)`;
  log(`[sync bench] ${label}: creating the account and starting Furrow`);
  const account = await emulator.control<{ id: string; credentials: unknown }>('POST', '/sandbox/api/accounts', { provider: 'john-deere', scenario: 'large', seed: SEED, fields: options.fields });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-bench-sync-'));
  const created = options.database === 'postgres' ? await postgresTestDatabase(options.adminUrl!).create() : undefined;
  const env: Record<string, string> = {
    FURROW_DATA_DIR: dataDir,
    FURROW_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    FURROW_SANDBOX: 'true',
    FURROW_SANDBOX_URL: `${emulator.url}/sandbox`,
    FURROW_PORT: '0',
    LOG_LEVEL: 'warn',
    ...(created?.config.kind === 'postgres' ? { DATABASE_URL: created.config.url, FURROW_WORKERS: '0' } : { FURROW_WORKERS: '4' }),
  };
  const email = 'bench@example.com';
  const password = crypto.randomBytes(12).toString('hex');
  const made = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'api-owner', 'create', '--email', email, '--password', password], { cwd: REPO, env: childEnv(env), encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`furrow api-owner create failed: ${made.stderr}`);
  const api = await startProcess('serve', env);
  const workers: Started[] = [];
  const db = openProbe(options.database === 'sqlite' ? { sqliteFile: path.join(dataDir, 'furrow.sqlite') } : { url: (created!.config as { url: string }).url });
  try {
    for (let i = 0; i < options.workerProcesses; i++) workers.push(await startProcess('worker', { ...env, FURROW_WORKERS: '4', FURROW_PUBLIC_URL: api.url! }));
    const client = await furrowClient(api.url!, email, password);
    const user = await client<{ id: string }>('POST', USERS, { name: 'bench grower' });
    const callsBefore = (await emulator.control<{ apiCalls: number }>('GET', `/sandbox/api/accounts/${account.id}/stats`)).apiCalls;

    const started = Date.now();
    const credential = await client<{ id: string }>('POST', `${USERS}/${user.id}/john-deere-credentials`, account.credentials);
    const succeeded = await until(SYNC_TIMEOUT_MS, async () => {
      const runs = await db.runs(credential.id);
      const failed = runs.find((r) => r.status === 'FAILED');
      if (failed !== undefined) log(`[sync bench] a run failed (the job retries): ${JSON.stringify(failed.errors).slice(0, 300)}`);
      return runs.find((r) => r.status === 'SUCCEEDED');
    });
    const syncSeconds = succeeded === undefined ? undefined : (Date.now() - started) / 1000;
    log(`[sync bench] ${label}: sync run SUCCEEDED after ${syncSeconds?.toFixed(1) ?? '-'} s; waiting for the downloads`);
    const downloaded = succeeded === undefined ? undefined : await until(SYNC_TIMEOUT_MS, async () => ((await db.pendingJobs(['download-provider-file'])) === 0 ? true : undefined), 500);
    const endToEndSeconds = downloaded === undefined ? undefined : (Date.now() - started) / 1000;
    log(`[sync bench] ${label}: downloads done after ${endToEndSeconds?.toFixed(1) ?? '-'} s; waiting for the conversions`);
    const processed = downloaded === undefined ? undefined : await until(PROCESSING_TIMEOUT_MS, async () => ((await db.pendingJobs(['process-machine-file-batch', 'merge-machine-files'])) === 0 ? true : undefined), 1000);
    const processedSeconds = processed === undefined ? undefined : (Date.now() - started) / 1000;
    const callsAfter = (await emulator.control<{ apiCalls: number }>('GET', `/sandbox/api/accounts/${account.id}/stats`)).apiCalls;
    const totals = await db.totals(user.id);

    let resync: ResyncMeasurement | undefined;
    if (options.resync && succeeded !== undefined) {
      const before = (await emulator.control<{ apiCalls: number }>('GET', `/sandbox/api/accounts/${account.id}/stats`)).apiCalls;
      const askedAt = new Date().toISOString();
      await client('POST', `/services/fields/api/users/${user.id}/fields/sync`);
      const again = await until(SYNC_TIMEOUT_MS, async () => (await db.runs(credential.id)).find((r) => r.started_at >= askedAt && r.status === 'SUCCEEDED' && r.finished_at !== null));
      const after = (await emulator.control<{ apiCalls: number }>('GET', `/sandbox/api/accounts/${account.id}/stats`)).apiCalls;
      if (again !== undefined) resync = { seconds: (Date.parse(again.finished_at!) - Date.parse(again.started_at)) / 1000, providerCalls: after - before, counts: again.counts };
    }
    const measurement: SyncMeasurement = {
      label,
      syncSeconds,
      endToEndSeconds,
      processedSeconds,
      ...totals,
      apiPeakRssMb: peakRssMb(api.child.pid!),
      workerPeakRssMb: workers.length === 0 ? undefined : Math.max(...workers.map((w) => peakRssMb(w.child.pid!))),
      providerCalls: callsAfter - callsBefore,
      ...(processed === undefined && downloaded !== undefined ? { note: `conversions still queued after ${PROCESSING_TIMEOUT_MS / 60_000} min` } : {}),
    };
    log(`[sync bench] ${label}: ${JSON.stringify(measurement)}`);
    return { measurement, resync, files: totals.batches };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await api.stop();
    await db.close();
    await created?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Peak resident set of a live process (Linux `VmHWM`), in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

async function until<T>(timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return undefined;
}

interface RunRow {
  status: string;
  started_at: string;
  finished_at: string | null;
  counts: unknown;
  errors: unknown;
}

/** Read-only looks into Furrow's database: runs, the queue, what the user holds. */
interface Probe {
  runs(credentialId: string): Promise<RunRow[]>;
  /** Jobs of the tasks still to run (those that used up their attempts are not counted). */
  pendingJobs(tasks: string[]): Promise<number>;
  totals(userId: string): Promise<{ fields: number; boundaries: number; batches: number; failedBatches: number; failureReasons: string[] }>;
  close(): Promise<void>;
}

function openProbe(target: { sqliteFile: string } | { url: string }): Probe {
  const parse = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);
  const totalsSql = (p: (i: number) => string) => [
    `select count(*) as n from fields where user_id = ${p(1)}`,
    `select count(*) as n from field_boundaries where user_id = ${p(1)}`,
    `select count(*) as n from machine_file_batches where user_id = ${p(1)} and origin = 'provider'`,
    `select count(*) as n from machine_file_batches where user_id = ${p(1)} and origin = 'provider' and status = 'FAILED'`,
  ];
  const reasonsSql = (p: string) =>
    `select coalesce(status_reason, '') || ': ' || coalesce(substr(status_details, 1, 160), '') as reason, count(*) as n from machine_file_batches
      where user_id = ${p} and origin = 'provider' and status = 'FAILED' group by 1 order by 2 desc limit 3`;
  const reasons = (rows: { reason: string; n: number | string }[]) => rows.map((r) => `${r.n} x ${r.reason}`);
  if ('sqliteFile' in target) {
    let db: Database.Database | undefined;
    // The file appears once `furrow serve` has migrated it.
    const open = () => (db ??= new Database(target.sqliteFile, { readonly: true, fileMustExist: true }));
    return {
      async runs(credentialId) {
        return (open().prepare('select status, started_at, finished_at, counts, errors from sync_runs where credential_id = ? order by started_at').all(credentialId) as RunRow[]).map((r) => ({ ...r, counts: parse(r.counts), errors: parse(r.errors) }));
      },
      async pendingJobs(tasks) {
        const row = open().prepare(`select count(*) as n from job_queue_jobs where task in (${tasks.map(() => '?').join(', ')}) and attempts < max_attempts`).get(...tasks) as { n: number };
        return row.n;
      },
      async totals(userId) {
        const [fields, boundaries, batches, failedBatches] = totalsSql(() => '?').map((sql) => Number((open().prepare(sql).get(userId) as { n: number }).n));
        const failureReasons = reasons(open().prepare(reasonsSql('?')).all(userId) as { reason: string; n: number }[]);
        return { fields: fields!, boundaries: boundaries!, batches: batches!, failedBatches: failedBatches!, failureReasons };
      },
      async close() {
        db?.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: target.url, max: 2 });
  return {
    async runs(credentialId) {
      return (await pool.query<RunRow>('select status, started_at, finished_at, counts, errors from sync_runs where credential_id = $1 order by started_at', [credentialId])).rows;
    },
    async pendingJobs(tasks) {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = any($1::text[]) and j.attempts < j.max_attempts`,
        [tasks],
      );
      return rows[0]!.n;
    },
    async totals(userId) {
      const [fields, boundaries, batches, failedBatches] = await Promise.all(totalsSql((i) => `$${i}`).map(async (sql) => Number((await pool.query<{ n: string }>(sql, [userId])).rows[0]!.n)));
      const failureReasons = reasons((await pool.query<{ reason: string; n: string }>(reasonsSql('$1'), [userId])).rows);
      return { fields: fields!, boundaries: boundaries!, batches: batches!, failedBatches: failedBatches!, failureReasons };
    },
    close: () => pool.end(),
  };
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function childEnv(env: Record<string, string>): Record<string, string> {
  // eslint-disable-next-line no-restricted-syntax -- the child needs a PATH, and nothing else of ours
  return { PATH: process.env.PATH ?? '', ...env };
}

interface Started {
  child: ChildProcess;
  url: string | undefined;
  stop(): Promise<void>;
}

/** `furrow serve` (resolves with its URL once it listens) or `furrow worker` (once its workers run). */
async function startProcess(command: 'serve' | 'worker', env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, command], { cwd: REPO, env: childEnv({ ...env, LOG_LEVEL: command === 'worker' ? 'info' : 'warn' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`furrow ${command} did not start within 120 s: ${stderr}`)), 120_000);
    child.once('exit', (code) => reject(new Error(`furrow ${command} exited with ${code}: ${stderr}`)));
    // Every line is read, so the pipe never fills.
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const listening = /Furrow is listening on (\S+)/.exec(line);
      if (listening !== null) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
      if (command === 'worker' && line.includes('"worker started"')) {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
  });
  return {
    child,
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

type Client = <T = unknown>(method: string, url: string, body?: unknown) => Promise<T>;

async function furrowClient(baseUrl: string, email: string, password: string): Promise<Client> {
  const authenticated = await fetch(`${baseUrl}/api/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: email, password, rememberMe: true }) });
  if (!authenticated.ok) throw new Error(`authenticate answered ${authenticated.status}: ${await authenticated.text()}`);
  const { id_token: token } = (await authenticated.json()) as { id_token: string };
  return async <T>(method: string, url: string, body?: unknown) => {
    const answer = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`${method} ${url} answered ${answer.status}: ${text.slice(0, 500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}

interface EmulatorHost {
  url: string;
  control<T>(method: string, url: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

async function startEmulatorHost(): Promise<EmulatorHost> {
  const child = spawn(process.execPath, ['--import', 'tsx', EMULATOR_HOST, '1'], { cwd: REPO, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  const { first, exited } = await firstLineOf(child, 'the emulator host', 120_000);
  const { url, tokens } = JSON.parse(first) as { url: string; tokens: string[] };
  return {
    url,
    async control<T>(method: string, route: string, body?: unknown) {
      const answer = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${tokens[0]!}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!answer.ok) throw new Error(`emulator ${method} ${route} answered ${answer.status}: ${await answer.text()}`);
      return (await answer.json()) as T;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const seconds = (value: number | undefined) => (value === undefined ? 'not reached' : `${value.toFixed(1)} s`);

export function format(report: SyncBenchReport): string {
  const lines = [
    `John Deere sandbox \`large\` account, seed ${SEED}: ${report.fields} fields (over 6 organizations, 5 connected), 5 files per field; ${report.files} files in the connected organizations downloaded.`,
    '',
    '| setup | sync run | end to end (downloads stored) | conversions done | fields / boundaries / batches (conversion FAILED) | provider calls | peak RSS API / worker |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...report.measurements.map(
      (m) =>
        `| ${m.label} | ${seconds(m.syncSeconds)} | ${seconds(m.endToEndSeconds)} | ${seconds(m.processedSeconds)}${m.note === undefined ? '' : ` (${m.note})`} | ${m.fields} / ${m.boundaries} / ${m.batches} (${m.failedBatches}) | ${m.providerCalls} | ${m.apiPeakRssMb} MB / ${m.workerPeakRssMb === undefined ? '-' : `${m.workerPeakRssMb} MB`} |`,
    ),
  ];
  const one = report.measurements.find((m) => m.label.includes('1 worker process'));
  const three = report.measurements.find((m) => m.label.includes('3 worker processes'));
  if (one?.endToEndSeconds !== undefined && three?.endToEndSeconds !== undefined) {
    lines.push('', `PostgreSQL, three worker processes against one, end to end: ${(one.endToEndSeconds / three.endToEndSeconds).toFixed(2)}x (${one.endToEndSeconds.toFixed(1)} s / ${three.endToEndSeconds.toFixed(1)} s).`);
  }
  const sqlite = report.measurements.find((m) => m.label.startsWith('SQLite'));
  if (sqlite?.endToEndSeconds !== undefined) {
    lines.push(`SQLite targets: end to end ${sqlite.endToEndSeconds <= 300 ? 'within' : 'OVER'} 5 min, peak RSS ${sqlite.apiPeakRssMb <= 512 ? 'within' : 'OVER'} 512 MB.`);
  }
  if (report.resync !== undefined) {
    lines.push(`No-change re-sync (SQLite): ${report.resync.seconds.toFixed(1)} s, ${report.resync.providerCalls} provider calls; counts ${JSON.stringify(report.resync.counts)}.`);
  }
  for (const m of report.measurements) if (m.failureReasons.length > 0) lines.push(`Batches whose conversion FAILED, ${m.label}: ${m.failureReasons.join('; ')}.`);
  lines.push(...report.notes);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? (args[onlyAt + 1] as 'sqlite' | 'postgres') : undefined;
  const fieldsArg = args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--only');
  process.stdout.write(`${format(await run({ fields: fieldsArg === undefined ? undefined : Number(fieldsArg), only }))}\n`);
}
