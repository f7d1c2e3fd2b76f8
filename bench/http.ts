/**
 * HTTP benchmark: `GET /services/usermanagement/api/users/{id}` with 50 connections (autocannon)
 * against the real API on SQLite (and PostgreSQL when reachable), and against a bare Fastify route
 * returning the same JSON, measured in the same run. Targets: >= 5,000 req/s on SQLite with
 * p99 <= 25 ms, and >= 0.5x the bare route's throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { loadTestEnvironment } from '../src/config.js';

export interface HttpResult {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** The server process's CPU time (user + system) per request: what the stack costs, apart from the load generator. */
  serverCpuUsPerRequest: number;
}

/** A process's CPU time so far, in µs, from /proc (Linux; NaN elsewhere). */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
// USER_HZ: 100 on every Linux architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;

async function startServer(args: string[]): Promise<{ child: ChildProcess; url: string; token: string; userId: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./http-server.ts', import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const [word, url, token, userId] = line.split(' ');
    if (word === 'ready' && url !== undefined && token !== undefined && userId !== undefined) return { child, url, token, userId };
  }
  throw new Error(`benchmark server ${args.join(' ')} exited before it was ready`);
}

async function load(target: string, url: string, headers: Record<string, string>, seconds: number, pid?: number): Promise<HttpResult> {
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({ url, connections: 50, duration: seconds, headers });
  const cpu = cpuMicros(pid) - cpuBefore;
  return {
    target,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    serverCpuUsPerRequest: Math.round((cpu / result.requests.total) * 10) / 10,
  };
}

async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const adminUrl = loadTestEnvironment().postgresUrl;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `furrow_bench_${crypto.randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

interface Target {
  name: string;
  args: string[];
}

/**
 * Starts every server first, then measures them in rounds (bare, Furrow on SQLite, Furrow on
 * PostgreSQL, again and again), so a burst of load from elsewhere on a shared machine hits every
 * target alike; each figure is the median of its rounds.
 */
export async function run(options: { seconds?: number; rounds?: number } = {}): Promise<{ results: HttpResult[]; ratioSqliteToBare: number; rounds: HttpResult[][] }> {
  const seconds = options.seconds ?? 6;
  const roundCount = options.rounds ?? 3;
  const database = await freshPostgresDatabase();
  const targets: Target[] = [
    { name: 'bare Fastify route (baseline)', args: ['bare'] },
    { name: 'Furrow on SQLite', args: ['furrow'] },
    ...(database === undefined ? [] : [{ name: 'Furrow on PostgreSQL', args: ['furrow', database.url] }]),
  ];
  const servers: { target: Target; server: Awaited<ReturnType<typeof startServer>> }[] = [];
  try {
    for (const target of targets) servers.push({ target, server: await startServer(target.args) });
    const request = (s: (typeof servers)[number]) => ({
      url: `${s.server.url}/services/usermanagement/api/users/${s.server.userId}`,
      headers: (s.server.token === 'none' ? {} : { authorization: `Bearer ${s.server.token}` }) as Record<string, string>,
    });
    for (const s of servers) await load(s.target.name, request(s).url, request(s).headers, 2); // warm-up: JIT, caches, pools
    const rounds: HttpResult[][] = [];
    for (let round = 0; round < roundCount; round += 1) {
      const results: HttpResult[] = [];
      for (const s of servers) results.push(await load(s.target.name, request(s).url, request(s).headers, seconds, s.server.child.pid));
      rounds.push(results);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const results = targets.map((target, i) => ({
      target: target.name,
      requestsPerSecond: median(rounds.map((r) => r[i]!.requestsPerSecond)),
      p50Ms: median(rounds.map((r) => r[i]!.p50Ms)),
      p99Ms: median(rounds.map((r) => r[i]!.p99Ms)),
      errors: rounds.reduce((n, r) => n + r[i]!.errors, 0),
      non2xx: rounds.reduce((n, r) => n + r[i]!.non2xx, 0),
      serverCpuUsPerRequest: median(rounds.map((r) => r[i]!.serverCpuUsPerRequest)),
    }));
    return { results, ratioSqliteToBare: results[1]!.requestsPerSecond / results[0]!.requestsPerSecond, rounds };
  } finally {
    for (const s of servers) s.server.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((resolve) => (s.server.child.exitCode === null ? s.server.child.on('exit', resolve) : resolve(null)))));
    await database?.drop();
  }
}

export function format(outcome: Awaited<ReturnType<typeof run>>): string {
  const bare = outcome.results[0]!.requestsPerSecond;
  const bareCpu = outcome.results[0]!.serverCpuUsPerRequest;
  const rows = outcome.results.map(
    (r) => `| ${r.target} | ${r.requestsPerSecond} | ${(r.requestsPerSecond / bare).toFixed(2)} | ${r.p50Ms} | ${r.p99Ms} | ${r.serverCpuUsPerRequest} | ${(bareCpu / r.serverCpuUsPerRequest).toFixed(2)} | ${r.errors + r.non2xx} |`,
  );
  const perRound = outcome.rounds.map((r, i) => `round ${i + 1}: ${r.map((x) => `${x.requestsPerSecond}`).join(' / ')} req/s (ratio ${(r[1]!.requestsPerSecond / r[0]!.requestsPerSecond).toFixed(2)})`);
  return [
    'GET /services/usermanagement/api/users/{id}, 50 connections, autocannon; medians of interleaved rounds',
    '| target | req/s | ratio to bare | p50 ms | p99 ms | server CPU µs/request | bare CPU / this CPU | errors + non-2xx |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...perRound,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await run();
  process.stdout.write(`${format(outcome)}\n`);
}
