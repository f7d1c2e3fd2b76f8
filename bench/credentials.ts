/**
 * Credential refresh benchmark. The issue's target: 10,000 John Deere credentials all due at once
 * are refreshed against the sandbox emulator with zero double redemptions, at least 500
 * refreshes/s on SQLite in one process, and faster on PostgreSQL with three worker processes than
 * with one.
 *
 * Each setup starts a Furrow API process inside this process with `createFurrow` (sandbox on,
 * silent logger) on a fresh database, and connects N credentials through the API as a developer
 * would: `POST /sandbox/api/accounts` then `POST .../john-deere-credentials` (which validates at
 * the emulator), with ceil(N / 1000) API owners since the sandbox keeps 1,000 accounts per owner.
 * Then every credential is made due (`access_expires_at` set to the past in the database) and its
 * `refresh-credential` job enqueued due now (the key replaces the job scheduled 12 h ahead). Timed:
 * from the first enqueue until every credential's `last_refresh_at` is after that moment. Then
 * every account's emulator stats are read through the control API.
 *
 * Setups: SQLite with in-process workers (a couple of concurrencies); PostgreSQL with the API at
 * FURROW_WORKERS=0 and one, then three, `furrow worker` child processes of the same concurrency.
 * Baselines measured in the same run: the emulator's ceiling (refresh grants posted straight to
 * its token endpoint with fetch, at the setup's total concurrency, from this process and from a
 * child process), so Furrow's rate shows as a fraction of what the emulator can serve.
 *
 * Run: `npx tsx bench/credentials.ts [N] [--sqlite-workers 16,32] [--postgres-workers 16]
 * [--postgres-processes 1,3] [--only sqlite|postgres] [--emulator separate,in-process] [--profile <dir>] [--no-analyze]`
 * (N default 10,000; PostgreSQL from FURROW_TEST_DATABASE_URL or the default test server, skipped
 * when unreachable). A full run at 10,000 takes about 15 minutes, most of it connecting. `run()`
 * returns the figures and `format()` prints them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, loadTestEnvironment } from '../src/config.js';
import { refreshJobKey } from '../src/jobs/credential-jobs.js';
import { createFurrow, type Furrow } from '../src/main.js';
import { JOHN_DEERE_HOSTS } from '../src/providers/john-deere/client.js';
import { MAX_ACCOUNTS_PER_OWNER } from '../src/sandbox/account-store.js';
import { postgresTestDatabase } from '../src/storage/testing/test-databases.js';
import { hammerTokenEndpoint, inParallel, type SandboxGrant, type TokenClientJob, type TokenClientResult } from './credentials-token-client.js';
import { firstLineOf } from './first-line.js';

export interface CredentialsBenchOptions {
  /** Credentials per setup; default 10,000. */
  credentials?: number;
  /** In-process worker concurrencies to try on SQLite, one setup each; default [16, 32]. */
  sqliteWorkers?: number[];
  /** FURROW_WORKERS of each `furrow worker` process on PostgreSQL; default 16. */
  postgresWorkers?: number;
  /** Worker process counts to try on PostgreSQL, one setup each; default [1, 3]. */
  postgresProcesses?: number[];
  /**
   * Where the John Deere emulator runs: `separate`, a process of its own (as the provider's servers
   * are elsewhere; Furrow reaches it through FURROW_SANDBOX_URL), or `in-process`, inside the API
   * process being measured. Default both for SQLite, `separate` for PostgreSQL.
   */
  emulators?: ('separate' | 'in-process')[];
  /** Which databases; default both (PostgreSQL skipped with a note when unreachable). */
  databases?: ('sqlite' | 'postgres')[];
  /**
   * A directory for CPU profiles: this process's connect phase and timed part
   * (`<setup>-connect.cpuprofile`, `<setup>-refresh.cpuprofile`, through the inspector) and each
   * worker process's whole life (`--cpu-prof`). Default none.
   */
  profileDir?: string;
  /**
   * PostgreSQL: run ANALYZE before the timed part, as autovacuum would have long since done on a
   * database whose credentials were connected over weeks rather than the last minute; default true.
   * Without it the planner may still hold the statistics of a near-empty job table (see the notes).
   */
  analyze?: boolean;
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

export interface EmulatorTotals {
  accounts: number;
  tokenRequests: number;
  refreshes: number;
  refreshTokensRedeemedTwice: number;
  invalidGrantAnswers: number;
  /** Accounts the emulator refreshed more than once in the timed part (a duplicate refresh). */
  refreshedMoreThanOnce: number;
  /** Accounts the emulator did not refresh in the timed part. */
  notRefreshed: number;
}

export interface CpuSeconds {
  /** The window measured: first enqueue until the poll saw every refresh (up to one poll late). */
  wallSeconds: number;
  /** Busy core-seconds of the whole machine while timed, and the machine's cores. */
  machine: number;
  cores: number;
  /** This process: the API with the emulator (and, on SQLite, the workers), plus the benchmark's polling. */
  apiProcess: number;
  /** Each `furrow worker` child. */
  workers: number[];
  /** The PostgreSQL backends of this database (other databases on the server and its background processes count as "other"). */
  postgres: number;
  /** The emulator's own process, when it runs apart (it stands for John Deere: not Furrow's CPU). */
  emulator: number;
  /** The rest: the benchmark's baseline children (none while timed), and anything else on the machine. */
  other: number;
}

export interface SetupResult {
  label: string;
  database: 'sqlite' | 'postgres';
  /** 0: in-process workers of the API process. */
  workerProcesses: number;
  concurrencyPerProcess: number;
  totalConcurrency: number;
  credentials: number;
  /** Creating users, sandbox accounts and credentials through the API (each validated at the emulator). */
  connect: { seconds: number; perSecond: number; parallelRequests: number };
  /** Enqueueing the N due jobs (keyed, replacing the scheduled ones), part of the timed run. */
  enqueueSeconds: number;
  /** First enqueue until every credential was refreshed (or the deadline). */
  refreshSeconds: number;
  refreshed: number;
  complete: boolean;
  /** N / refreshSeconds. */
  refreshesPerSecond: number;
  /** Seconds until half of the credentials were refreshed. */
  halfSeconds: number;
  /** Refreshes per second from the end of enqueueing to the last refresh. */
  afterEnqueuePerSecond: number;
  emulator: EmulatorTotals;
  failedJobs: number;
  /** Credentials whose status is not OK after the run. */
  notOk: number;
  baseline: { inProcess: TokenClientResult; childProcess: TokenClientResult; concurrency: number };
  /** Furrow's rate over the matching ceiling: in-process client for in-process workers, child client for worker processes. */
  fractionOfCeiling: number;
  cpu: CpuSeconds;
  /**
   * What the refresh rate would be with the machine to Furrow alone, if CPU-bound: the lower of
   * cores / (CPU of the API process, workers and PostgreSQL per refresh) and 1 / (CPU per refresh of
   * the busiest single process, whose event loop is one core at most). Robust to other load on the
   * machine, which the measured rate is not.
   */
  cpuBoundEstimatePerSecond: number;
  /** Warnings and errors the worker processes logged. */
  workerWarnings: string[];
}

export interface CredentialsBenchReport {
  credentials: number;
  results: SetupResult[];
  /** PostgreSQL refreshes/s with the most worker processes over the fewest (3 vs 1 by default). */
  postgresProcessRatio: { more: number; fewer: number; ratio: number } | undefined;
  notes: string[];
}

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const TOKEN_CLIENT = fileURLToPath(new URL('./credentials-token-client.ts', import.meta.url));
const EMULATOR_HOST = fileURLToPath(new URL('./credentials-emulator-host.ts', import.meta.url));
const TOKEN_PATH = `/sandbox/john-deere${new URL(JOHN_DEERE_HOSTS.signIn.STAGE).pathname}/v1/token`;
const USERS = '/services/usermanagement/api/users';
/** Requests in flight while connecting credentials through the API. */
const CONNECT_PARALLEL = 32;
/** Producers enqueueing the due jobs, as concurrent API requests would. */
const ENQUEUE_PARALLEL = 16;
const POLL_MS = 1000;
const OWNER_PASSWORD = 'bench password';

/** Runs every setup in turn and returns the figures. */
export async function run(options: CredentialsBenchOptions = {}): Promise<CredentialsBenchReport> {
  const n = options.credentials ?? 10_000;
  const log = options.log ?? (() => {});
  const databases = options.databases ?? ['sqlite', 'postgres'];
  const notes: string[] = [];
  const results: SetupResult[] = [];
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'})`;

  if (databases.includes('sqlite')) {
    for (const emulator of options.emulators ?? ['separate', 'in-process']) {
      for (const workers of options.sqliteWorkers ?? [16]) {
        results.push(await measureSetup({ database: 'sqlite', processes: 0, concurrency: workers, n, profileDir: options.profileDir, emulator }, log));
      }
    }
  }
  if (databases.includes('postgres')) {
    const adminUrl = loadTestEnvironment().postgresUrl;
    const durability = await describePostgres(adminUrl);
    if (durability === undefined) {
      notes.push(`PostgreSQL not reachable at ${adminUrl}: its setups were skipped (start one with scripts/test-postgres.sh start).`);
    } else {
      notes.push(
        `PostgreSQL: ${durability}; the server runs on this machine too.` +
          (options.analyze === false
            ? ' No ANALYZE before the timed part (--no-analyze): the planner may still see a near-empty graphile_worker._private_jobs.'
            : ' ANALYZE runs before the timed part, as autovacuum would have on a database whose credentials arrived over time.'),
      );
      for (const processes of options.postgresProcesses ?? [1, 3]) {
        for (const emulator of options.emulators ?? ['separate']) {
          results.push(await measureSetup({ database: 'postgres', processes, concurrency: options.postgresWorkers ?? 16, n, adminUrl, profileDir: options.profileDir, analyze: options.analyze ?? true, emulator }, log));
        }
      }
    }
  }

  // Like with like: the first emulator placement measured on PostgreSQL, fewest against most processes.
  const placement = results.find((r) => r.database === 'postgres')?.label.split(', ').pop();
  const postgres = results.filter((r) => r.database === 'postgres' && r.complete && r.label.endsWith(placement ?? '')).sort((a, b) => a.workerProcesses - b.workerProcesses);
  const fewer = postgres[0];
  const more = postgres[postgres.length - 1];
  const postgresProcessRatio =
    fewer !== undefined && more !== undefined && more.workerProcesses > fewer.workerProcesses
      ? { more: more.workerProcesses, fewer: fewer.workerProcesses, ratio: more.refreshesPerSecond / fewer.refreshesPerSecond }
      : undefined;
  notes.push(
    `This machine has ${machine}. The API process (which hosts the emulator, and on SQLite the workers), the worker processes, ` +
      'the benchmark and the PostgreSQL server all share them: extra worker processes add concurrency, not cores.',
    'John Deere does not rotate refresh tokens, so the emulator can never count one as redeemed twice; the stronger check here is ' +
      'that the emulator refreshed every account exactly once in the timed part (one more refresh than the validation at connect).',
    'Accounts use the `empty` sandbox scenario (the grower, no organizations): a refresh does not read organizations, and connect validates with one organizations call.',
    'Connect: users, sandbox accounts and credentials created through the API, each credential validated at the emulator (one token call and one organizations call).',
    'CPU columns come from /proc while timed. "Anything else on the machine" is everything not charged to the API process, the workers or this ' +
      "database's backends: other test runs, and on PostgreSQL also the server's background processes and kernel network work. When foreign load " +
      'is large the measured rates are depressed, and the CPU-bound estimate (min of cores / Furrow CPU per refresh and 1 / busiest process CPU per refresh) is the better guide.',
  );
  return { credentials: n, results, postgresProcessRatio, notes };
}

interface SetupSpec {
  database: 'sqlite' | 'postgres';
  processes: number;
  concurrency: number;
  n: number;
  adminUrl?: string;
  profileDir?: string | undefined;
  analyze?: boolean;
  emulator: 'separate' | 'in-process';
}

interface Owner {
  token: string;
}

interface ConnectedAccount {
  /** The owner of the account at the sandbox (the emulator host's own when it runs apart). */
  owner: Owner;
  accountId: string;
}

async function measureSetup(spec: SetupSpec, log: (line: string) => void): Promise<SetupResult> {
  const { n } = spec;
  const totalConcurrency = spec.concurrency * Math.max(1, spec.processes);
  const label =
    (spec.database === 'sqlite'
      ? `SQLite, 1 process, ${spec.concurrency} in-process workers`
      : `PostgreSQL, ${spec.processes} worker process${spec.processes === 1 ? '' : 'es'} x ${spec.concurrency}`) +
    (spec.emulator === 'separate' ? ', emulator in its own process' : ', emulator in the API process');
  const say = (line: string) => log(`[${label}] ${line}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-bench-credentials-'));
  let drop = async () => {};
  let databaseUrl = `sqlite:${path.join(dataDir, 'furrow.sqlite')}`;
  if (spec.database === 'postgres') {
    const created = await postgresTestDatabase(spec.adminUrl!).create();
    if (created.config.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
    databaseUrl = created.config.url;
    drop = created.drop;
  }
  const env = {
    DATABASE_URL: databaseUrl,
    FURROW_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    FURROW_DATA_DIR: dataDir,
    FURROW_SANDBOX: 'true',
    FURROW_WORKERS: String(spec.processes === 0 ? spec.concurrency : 0),
    FURROW_PORT: '0',
    LOG_LEVEL: 'silent',
  };
  let furrow: Furrow | undefined;
  const workers: WorkerProcess[] = [];
  let host: EmulatorHost | undefined;
  try {
    const ownerCount = Math.ceil(n / MAX_ACCOUNTS_PER_OWNER);
    if (spec.emulator === 'separate') {
      host = await startEmulatorHost(ownerCount + 1);
      Object.assign(env, { FURROW_SANDBOX_URL: `${host.url}/sandbox` });
      say(`emulator in its own process at ${host.url}`);
    }
    furrow = await createFurrow(loadConfig(env), { role: 'serve', logger: pino({ level: 'silent' }), announce: () => {} });
    await furrow.start();
    const url = furrow.url!;
    say(`API at ${url} on a fresh ${spec.database} database`);

    // API owners: the sandbox keeps 1,000 accounts per owner, so one owner per 1,000 credentials,
    // and one more whose accounts hold the baseline's grants.
    const owners: Owner[] = [];
    for (let i = 0; i <= ownerCount; i++) {
      const email = `bench-${i}@example.com`;
      await furrow.services.apiOwners.create(email, OWNER_PASSWORD);
      owners.push({ token: (await furrow.services.apiOwners.authenticate(email, OWNER_PASSWORD, true)).idToken });
    }
    // The sandbox's control API, where accounts are made and their stats read.
    const sandboxUrl = host?.url ?? url;
    const sandboxOwners = host?.tokens.map((token) => ({ token })) ?? owners;
    const baselineOwner = sandboxOwners[ownerCount]!;

    say(`connecting ${n} John Deere credentials through the API (${CONNECT_PARALLEL} requests in flight)`);
    const accounts: ConnectedAccount[] = new Array<ConnectedAccount>(n);
    const profileFile = (part: string) => path.join(spec.profileDir!, `${label.replace(/[^A-Za-z0-9]+/g, '-')}-${part}.cpuprofile`);
    const connectProfiler = spec.profileDir === undefined ? undefined : await startProfiler();
    const connectStart = performance.now();
    await inParallel(n, CONNECT_PARALLEL, async (i) => {
      const owner = owners[Math.floor(i / MAX_ACCOUNTS_PER_OWNER)]!;
      const sandboxOwner = sandboxOwners[Math.floor(i / MAX_ACCOUNTS_PER_OWNER)]!;
      const user = await call<{ id: string }>(url, owner, 'POST', USERS, { name: `grower ${i}` }, 201);
      const account = await call<{ id: string; credentials: Record<string, unknown> }>(sandboxUrl, sandboxOwner, 'POST', '/sandbox/api/accounts', { provider: 'john-deere', scenario: 'empty' }, 201);
      await call(url, owner, 'POST', `${USERS}/${user.id}/john-deere-credentials`, account.credentials, 201);
      accounts[i] = { owner: sandboxOwner, accountId: account.id };
    });
    const connectSeconds = (performance.now() - connectStart) / 1000;
    await connectProfiler?.stop(profileFile('connect'));
    say(`connected in ${connectSeconds.toFixed(1)} s (${Math.round(n / connectSeconds)}/s)`);

    // Grants for the baseline, on accounts no credential uses.
    const baselineGrants: SandboxGrant[] = [];
    await inParallel(Math.min(n, MAX_ACCOUNTS_PER_OWNER), CONNECT_PARALLEL, async () => {
      const account = await call<{ credentials: SandboxGrant }>(sandboxUrl, baselineOwner, 'POST', '/sandbox/api/accounts', { provider: 'john-deere', scenario: 'empty' }, 201);
      baselineGrants.push({ clientKey: account.credentials.clientKey, clientSecret: account.credentials.clientSecret, refreshToken: account.credentials.refreshToken });
    });

    for (let i = 0; i < spec.processes; i++) workers.push(startWorker(env, spec.concurrency, url, spec.profileDir));
    if (workers.length > 0) {
      await Promise.all(workers.map((w) => w.ready));
      say(`${workers.length} worker process(es) ready`);
    }

    // Connecting queued each credential's first provider sync, which on PostgreSQL waits for the
    // worker processes. Syncs are not refreshes: they finish before the timed part, or they would
    // run inside it, and a sync finding its credential due would refresh it outside the timed jobs.
    say('waiting for the jobs queued while connecting (first syncs) to finish');
    if (!(await waitForNoDueJobs(furrow, undefined, 600_000))) throw new Error('the jobs queued while connecting did not finish within 10 minutes');

    // Every credential due: its access token expired a minute ago. Then settle for a moment, so
    // the timed part starts on a quiet machine (worker start-up, garbage of the connect phase).
    const db = furrow.storage.db;
    const ids = (await db.selectFrom('credentials').select('id').execute()).map((r) => r.id);
    if (ids.length !== n) throw new Error(`expected ${n} credentials in the database, found ${ids.length}`);
    await db.updateTable('credentials').set({ access_expires_at: new Date(Date.now() - 60_000).toISOString() }).execute();
    if (spec.database === 'postgres' && spec.analyze === true) await sql`analyze`.execute(db);
    await sleep(1000);

    const queue = furrow.queue;
    const countRefreshed = async (since: string) =>
      Number((await db.selectFrom('credentials').select((eb) => eb.fn.countAll().as('n')).where('last_refresh_at', '>', since).executeTakeFirstOrThrow()).n);

    const profiler = spec.profileDir === undefined ? undefined : await startProfiler();
    // The backends of this database (pools are open by now and stay open while timed).
    const backends = async () =>
      furrow!.queue.kind === 'postgres' ? (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(db)).rows.map((r) => r.pid) : [];
    const cpuBefore = cpuSnapshot(workers, await backends(), host);
    const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
    const started = new Date();
    const since = started.toISOString();
    const start = performance.now();
    say(`timed: enqueueing ${n} due refresh-credential jobs and waiting for every refresh (heap ${Math.round(heapMb)} MB)`);
    let enqueueSeconds = 0;
    let refreshedAtEnqueueEnd = 0;
    const enqueued = inParallel(n, ENQUEUE_PARALLEL, (i) => queue.enqueue('refresh-credential', { credentialId: ids[i]! }, { key: refreshJobKey(ids[i]!), runAt: started })).then(async () => {
      enqueueSeconds = (performance.now() - start) / 1000;
      refreshedAtEnqueueEnd = await countRefreshed(since);
    });
    let enqueueFailure: unknown;
    enqueued.catch((error: unknown) => (enqueueFailure = error));
    // Polled coarsely (a count scans the table, and on SQLite shares the workers' connection); the
    // exact times come afterwards from the refresh times the workers wrote.
    const deadline = start + 60_000 + n * 20;
    let refreshed = 0;
    for (;;) {
      refreshed = await countRefreshed(since);
      if (refreshed >= n || performance.now() > deadline || enqueueFailure !== undefined) break;
      await sleep(POLL_MS);
    }
    const observedSeconds = (performance.now() - start) / 1000;
    const cpu = cpuSpent(cpuBefore, cpuSnapshot(workers, [...new Set([...cpuBefore.postgres.keys(), ...(await backends())])], host), observedSeconds);
    if (profiler !== undefined) {
      const file = profileFile('refresh');
      await profiler.stop(file);
      say(`CPU profile of the timed part of this process: ${file}`);
    }
    if (enqueueFailure !== undefined) throw enqueueFailure;
    await enqueued;
    const complete = refreshed >= n;
    const times = (await db.selectFrom('credentials').select('last_refresh_at').where('last_refresh_at', '>', since).execute())
      .map((r) => (Date.parse(r.last_refresh_at!) - started.getTime()) / 1000)
      .sort((a, b) => a - b);
    const refreshSeconds = complete ? Math.max(times[times.length - 1] ?? observedSeconds, enqueueSeconds) : observedSeconds;
    const halfSeconds = times[Math.ceil(n / 2) - 1] ?? Number.NaN;
    say(`${refreshed} of ${n} refreshed in ${refreshSeconds.toFixed(2)} s (${Math.round(refreshed / refreshSeconds)}/s)${complete ? '' : ' (deadline reached)'}`);

    // Let any duplicate or retried refresh land before reading the stats.
    await waitForNoDueJobs(furrow, 'refresh-credential', 30_000);
    const failedJobs = (await queue.failedJobs({ task: 'refresh-credential', limit: 100_000 })).length;
    const notOk = Number((await db.selectFrom('credentials').select((eb) => eb.fn.countAll().as('n')).where('status', '!=', 'OK').executeTakeFirstOrThrow()).n);

    say('reading the emulator stats of every account');
    const emulator = await emulatorTotals(sandboxUrl, accounts);

    const tokenJob: TokenClientJob = { tokenUrl: `${sandboxUrl}${TOKEN_PATH}`, grants: baselineGrants, calls: n, concurrency: totalConcurrency, warmupCalls: Math.min(1000, n) };
    say(`baseline: ${n} refresh grants straight to the emulator, ${totalConcurrency} in flight, from this process`);
    const inProcess = await hammerTokenEndpoint(tokenJob);
    say(`baseline: the same from a child process`);
    const childProcess = await tokenClientInChild(tokenJob);
    const ceiling = spec.processes === 0 ? inProcess.perSecond : childProcess.perSecond;
    const refreshesPerSecond = refreshed / refreshSeconds;
    const furrowCpu = cpu.apiProcess + cpu.workers.reduce((a, b) => a + b, 0) + cpu.postgres;
    const busiest = Math.max(cpu.apiProcess, ...cpu.workers);
    const cpuBoundEstimatePerSecond = Math.min((cpu.cores * refreshed) / furrowCpu, refreshed / busiest);

    return {
      label,
      database: spec.database,
      workerProcesses: spec.processes,
      concurrencyPerProcess: spec.concurrency,
      totalConcurrency,
      credentials: n,
      connect: { seconds: connectSeconds, perSecond: n / connectSeconds, parallelRequests: CONNECT_PARALLEL },
      enqueueSeconds,
      refreshSeconds,
      refreshed,
      complete,
      refreshesPerSecond,
      halfSeconds,
      afterEnqueuePerSecond: (refreshed - refreshedAtEnqueueEnd) / Math.max(0.001, refreshSeconds - enqueueSeconds),
      emulator,
      failedJobs,
      notOk,
      baseline: { inProcess, childProcess, concurrency: totalConcurrency },
      fractionOfCeiling: refreshesPerSecond / ceiling,
      cpu,
      cpuBoundEstimatePerSecond,
      workerWarnings: workers.flatMap((w) => w.warnings),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await furrow?.stop();
    await host?.stop();
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One API call as the owner; throws unless the answer has the expected status. */
async function call<T = unknown>(url: string, owner: Owner, method: string, route: string, body: unknown, expected: number): Promise<T> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${owner.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${route} answered ${response.status}, expected ${expected}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Sums every account's stats; each should show the validation's refresh and exactly one more. */
async function emulatorTotals(url: string, accounts: ConnectedAccount[]): Promise<EmulatorTotals> {
  const totals: EmulatorTotals = { accounts: accounts.length, tokenRequests: 0, refreshes: 0, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, refreshedMoreThanOnce: 0, notRefreshed: 0 };
  await inParallel(accounts.length, CONNECT_PARALLEL, async (i) => {
    const { owner, accountId } = accounts[i]!;
    const stats = await call<{ tokenRequests: number; refreshes: number; refreshTokensRedeemedTwice: number; invalidGrantAnswers: number }>(url, owner, 'GET', `/sandbox/api/accounts/${accountId}/stats`, undefined, 200);
    totals.tokenRequests += stats.tokenRequests;
    totals.refreshes += stats.refreshes;
    totals.refreshTokensRedeemedTwice += stats.refreshTokensRedeemedTwice;
    totals.invalidGrantAnswers += stats.invalidGrantAnswers;
    const timed = stats.refreshes - 1; // the first was the validation at connect
    if (timed > 1) totals.refreshedMoreThanOnce += 1;
    if (timed < 1) totals.notRefreshed += 1;
  });
  return totals;
}

/**
 * Waits until no job of `task` (of any task when undefined) is due or running; false on timeout.
 * The refresh jobs rescheduled by the timed part are 12 h ahead, so they do not count.
 */
async function waitForNoDueJobs(furrow: Furrow, task: string | undefined, timeoutMs: number): Promise<boolean> {
  const db = furrow.storage.db;
  const due = async () => {
    const { rows } =
      furrow.queue.kind === 'sqlite'
        ? await sql<{ n: number | string }>`
            select count(*) as n from job_queue_jobs
            where (${task ?? null} is null or task = ${task ?? null}) and attempts < max_attempts and run_at <= ${Date.now()}`.execute(db)
        : await sql<{ n: number | string }>`
            select count(*) as n from graphile_worker._private_jobs j
            join graphile_worker._private_tasks t on t.id = j.task_id
            where (${task ?? null}::text is null or t.identifier = ${task ?? null}) and j.attempts < j.max_attempts and j.run_at <= now()`.execute(db);
    return Number(rows[0]?.n ?? 0);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await due()) === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

interface EmulatorHost {
  child: ChildProcess;
  url: string;
  tokens: string[];
  stop(): Promise<void>;
}

/** Starts bench/credentials-emulator-host.ts and waits for its `{ url, tokens }` line. */
async function startEmulatorHost(owners: number): Promise<EmulatorHost> {
  const child = spawn(process.execPath, ['--import', 'tsx', EMULATOR_HOST, String(owners)], {
    cwd: REPO,
    // eslint-disable-next-line no-restricted-syntax -- the child needs a PATH, and nothing else of ours
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { first, exited } = await firstLineOf(child, 'the emulator host', 60_000);
  const { url, tokens } = JSON.parse(first) as { url: string; tokens: string[] };
  return {
    child,
    url,
    tokens,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  warnings: string[];
  stop(): Promise<void>;
}

/** `furrow worker` as a deployment runs it, with the API's database, master key and public URL. */
function startWorker(env: Record<string, string>, concurrency: number, publicUrl: string, profileDir: string | undefined): WorkerProcess {
  const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', CLI, 'worker'], {
    cwd: REPO,
    // eslint-disable-next-line no-restricted-syntax -- the child needs a PATH, and nothing else of ours
    env: { PATH: process.env.PATH ?? '', ...env, FURROW_WORKERS: String(concurrency), FURROW_PUBLIC_URL: publicUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const warnings: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`furrow worker ${child.pid} did not start within 60 s: ${stderr}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`furrow worker ${child.pid} exited with ${code} before it was ready: ${stderr}`));
    });
    // Every line is read, so the pipe never fills; warnings and errors are kept for the report.
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { level?: number; msg?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg === 'worker started') {
        clearTimeout(timer);
        resolve();
      }
      if ((entry.level ?? 0) >= 40 && warnings.length < 20) warnings.push(`worker ${child.pid}: ${entry.msg ?? line}`);
    });
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    warnings,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The baseline client in a child process, as a worker process would call the emulator. */
async function tokenClientInChild(job: TokenClientJob): Promise<TokenClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', TOKEN_CLIENT], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.end(JSON.stringify(job));
  let output = '';
  for await (const chunk of child.stdout!) output += (chunk as Buffer).toString('utf8');
  const code = child.exitCode ?? (await new Promise<number | null>((resolve) => child.once('exit', resolve)));
  if (code !== 0) throw new Error(`the baseline token client exited with ${code}`);
  return JSON.parse(output) as TokenClientResult;
}

/** This process's CPU profile through the inspector, written as a `.cpuprofile` on stop. */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

// ---- CPU accounting from /proc (Linux); zeros elsewhere.

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface CpuSnapshot {
  machineBusy: number;
  self: number;
  workers: number[];
  postgres: Map<number, number>;
  emulator: number;
}

function cpuSnapshot(workers: WorkerProcess[], postgresPids: number[], host: EmulatorHost | undefined): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    machineBusy: machineBusySeconds(),
    self: (usage.user + usage.system) / 1e6,
    workers: workers.map((w) => processSeconds(w.child.pid)),
    postgres: postgresSeconds(postgresPids),
    emulator: host === undefined ? 0 : processSeconds(host.child.pid),
  };
}

/** CPU seconds of the PostgreSQL backends serving this database (not other databases of the server), by pid. */
function postgresSeconds(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, processSeconds(pid)]));
}

function cpuSpent(before: CpuSnapshot, after: CpuSnapshot, wallSeconds: number): CpuSeconds {
  const machine = after.machineBusy - before.machineBusy;
  const apiProcess = after.self - before.self;
  const workers = after.workers.map((s, i) => s - (before.workers[i] ?? 0));
  let postgres = 0;
  for (const [pid, s] of after.postgres) if (s > 0) postgres += s - (before.postgres.get(pid) ?? 0); // 0: exited meanwhile
  const emulator = after.emulator - before.emulator;
  const other = Math.max(0, machine - apiProcess - workers.reduce((a, b) => a + b, 0) - postgres - emulator);
  return { wallSeconds, machine, cores: os.cpus().length, apiProcess, workers, postgres, emulator, other };
}

function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, ...fields] = line.trim().split(/\s+/);
    const ticks = fields.map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // user .. steal; guest is inside user
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return (total - idle) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function processSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
  } catch {
    return 0;
  }
}

async function describePostgres(adminUrl: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  try {
    const setting = async (name: string) => (await client.query<Record<string, string>>(`show ${name}`)).rows[0]![name];
    return `fsync=${await setting('fsync')}, synchronous_commit=${await setting('synchronous_commit')}, max_connections=${await setting('max_connections')}`;
  } finally {
    await client.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- Report.

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const rate = (value: number) => fixed(value, 0);

/** The figures as a table (one column per setup), then the targets and the notes. */
export function format(report: CredentialsBenchReport): string {
  const rs = report.results;
  if (rs.length === 0) return ['No setup ran.', ...report.notes.map((n) => `note: ${n}`)].join('\n');
  const rows: string[][] = [
    ['', ...rs.map((r) => r.label)],
    ['credentials (John Deere, all due at once)', ...rs.map((r) => String(r.credentials))],
    ['worker concurrency (per process x processes)', ...rs.map((r) => (r.workerProcesses === 0 ? `${r.concurrencyPerProcess} in-process` : `${r.concurrencyPerProcess} x ${r.workerProcesses}`))],
    ['connect through the API (credentials/s)', ...rs.map((r) => `${rate(r.connect.perSecond)} (${fixed(r.connect.seconds, 1)} s)`)],
    ['enqueue N due jobs (s, inside the timed part)', ...rs.map((r) => fixed(r.enqueueSeconds, 2))],
    ['half refreshed after (s)', ...rs.map((r) => fixed(r.halfSeconds, 2))],
    ['all refreshed after (s)', ...rs.map((r) => `${fixed(r.refreshSeconds, 2)}${r.complete ? '' : ` (only ${r.refreshed})`}`)],
    ['REFRESHES/S (first enqueue to last refresh)', ...rs.map((r) => rate(r.refreshesPerSecond) + (r.database === 'sqlite' ? (r.refreshesPerSecond >= 500 ? ' (>= 500: met)' : ' (< 500: NOT met)') : ''))],
    ['refreshes/s after enqueueing ended', ...rs.map((r) => rate(r.afterEnqueuePerSecond))],
    ['emulator ceiling, client in this process (/s)', ...rs.map((r) => `${rate(r.baseline.inProcess.perSecond)} @${r.baseline.concurrency}${errorsOf(r.baseline.inProcess)}`)],
    ['emulator ceiling, client in a child process (/s)', ...rs.map((r) => `${rate(r.baseline.childProcess.perSecond)} @${r.baseline.concurrency}${errorsOf(r.baseline.childProcess)}`)],
    ['Furrow / emulator ceiling (matching client)', ...rs.map((r) => `${fixed(r.fractionOfCeiling, 2)}x (${r.workerProcesses === 0 ? 'this process' : 'child'})`)],
    ['refresh tokens redeemed twice', ...rs.map((r) => String(r.emulator.refreshTokensRedeemedTwice))],
    ['invalid_grant answers', ...rs.map((r) => String(r.emulator.invalidGrantAnswers))],
    ['accounts refreshed more than once / not at all', ...rs.map((r) => `${r.emulator.refreshedMoreThanOnce} / ${r.emulator.notRefreshed}`)],
    ['emulator refreshes / token requests (incl. connect)', ...rs.map((r) => `${r.emulator.refreshes} / ${r.emulator.tokenRequests}`)],
    ['failed jobs / credentials not OK', ...rs.map((r) => `${r.failedJobs} / ${r.notOk}`)],
    ['CPU busy while timed (of all cores)', ...rs.map((r) => `${fixed((100 * r.cpu.machine) / (r.cpu.cores * r.cpu.wallSeconds), 0)}% of ${r.cpu.cores}`)],
    ['CPU s: API process (with the emulator when in-process)', ...rs.map((r) => fixed(r.cpu.apiProcess, 1))],
    ['CPU s: emulator process (John Deere\'s side)', ...rs.map((r) => (r.cpu.emulator === 0 ? '-' : fixed(r.cpu.emulator, 1)))],
    ['CPU s: worker processes', ...rs.map((r) => (r.cpu.workers.length === 0 ? '-' : r.cpu.workers.map((s) => fixed(s, 1)).join(' + ')))],
    ['CPU s: PostgreSQL backends of this database', ...rs.map((r) => fixed(r.cpu.postgres, 1))],
    ['CPU s: anything else on the machine', ...rs.map((r) => fixed(r.cpu.other, 1))],
    ['CPU ms per refresh: API + workers + PostgreSQL', ...rs.map((r) => fixed((1000 * (r.cpu.apiProcess + r.cpu.workers.reduce((a, b) => a + b, 0) + r.cpu.postgres)) / Math.max(1, r.refreshed), 2))],
    ['CPU ms per refresh: busiest single process', ...rs.map((r) => fixed((1000 * Math.max(r.cpu.apiProcess, ...r.cpu.workers)) / Math.max(1, r.refreshed), 2))],
    ['CPU-bound estimate, machine to Furrow alone (/s)', ...rs.map((r) => rate(r.cpuBoundEstimatePerSecond))],
    ['worker warnings logged', ...rs.map((r) => String(r.workerWarnings.length))],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));

  const summary: string[] = [];
  const sqlite = rs.filter((r) => r.database === 'sqlite');
  if (sqlite.length > 0) {
    const best = sqlite.reduce((a, b) => (b.refreshesPerSecond > a.refreshesPerSecond ? b : a));
    summary.push(`SQLite, one process: best ${rate(best.refreshesPerSecond)} refreshes/s (${best.concurrencyPerProcess} workers); target >= 500: ${best.refreshesPerSecond >= 500 ? 'met' : 'NOT met'}.`);
  }
  if (report.postgresProcessRatio !== undefined) {
    const { more, fewer, ratio } = report.postgresProcessRatio;
    const estimate = (processes: number) => rs.find((r) => r.database === 'postgres' && r.workerProcesses === processes)?.cpuBoundEstimatePerSecond ?? Number.NaN;
    summary.push(
      `PostgreSQL, ${more} worker processes vs ${fewer}: ${fixed(ratio, 2)}x the refreshes/s; target > 1: ${ratio > 1 ? 'met' : 'NOT met'} ` +
        `(CPU-bound estimates: ${fixed(estimate(more) / estimate(fewer), 2)}x).`,
    );
  }
  const doubles = rs.reduce((a, r) => a + r.emulator.refreshTokensRedeemedTwice + r.emulator.invalidGrantAnswers + r.emulator.refreshedMoreThanOnce, 0);
  summary.push(`Double redemptions, invalid_grant answers and duplicate refreshes over all setups: ${doubles}${doubles === 0 ? ' (target 0: met)' : ' (target 0: NOT met)'}.`);
  const warnings = rs.flatMap((r) => r.workerWarnings.map((w) => `${r.label}: ${w}`)).slice(0, 10);
  return [...lines, '', ...summary, ...warnings.map((w) => `warning: ${w}`), '', ...report.notes.map((n) => `note: ${n}`)].join('\n');
}

function errorsOf(result: TokenClientResult): string {
  return result.errors === 0 ? '' : ` (${result.errors} errors: ${result.firstError ?? '?'})`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'sqlite-workers': { type: 'string' },
      'postgres-workers': { type: 'string' },
      'postgres-processes': { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      'no-analyze': { type: 'boolean' },
      emulator: { type: 'string' },
    },
  });
  const list = (text: string | undefined) => (text === undefined ? undefined : text.split(',').map((s) => Number(s.trim())));
  const n = positionals[0] === undefined ? undefined : Number(positionals[0]);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new Error(`expected a positive whole number of credentials, found "${positionals[0]}"`);
  const only = values.only;
  if (only !== undefined && only !== 'sqlite' && only !== 'postgres') throw new Error(`--only: expected sqlite or postgres, found "${only}"`);
  const emulators = values.emulator?.split(',').map((e) => e.trim());
  if (emulators !== undefined && !emulators.every((e) => e === 'separate' || e === 'in-process')) throw new Error(`--emulator: expected separate and/or in-process, found "${values.emulator}"`);
  const report = await run({
    emulators: emulators as ('separate' | 'in-process')[] | undefined,
    credentials: n,
    sqliteWorkers: list(values['sqlite-workers']),
    postgresWorkers: values['postgres-workers'] === undefined ? undefined : Number(values['postgres-workers']),
    postgresProcesses: list(values['postgres-processes']),
    databases: only === undefined ? undefined : [only],
    profileDir: values.profile === undefined ? undefined : path.resolve(values.profile),
    analyze: values['no-analyze'] !== true,
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  });
  process.stdout.write(`${format(report)}\n`);
}
