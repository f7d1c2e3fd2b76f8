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
import { loadTestEnvironment } from '../src/config.js';

export interface HttpResult {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

async function startServer(args: string[]): Promise<{ child: ChildProcess; url: string; token: string; userId: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./http-server.ts', import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const [word, url, token, userId] = line.split(' ');
    if (word === 'ready' && url !== undefined && token !== undefined && userId !== undefined) return { child, url, token, userId };
  }
  throw new Error(`benchmark server ${args.join(' ')} exited before it was ready`);
}

async function load(target: string, url: string, headers: Record<string, string>, seconds: number): Promise<HttpResult> {
  const result = await autocannon({ url, connections: 50, duration: seconds, headers });
  return {
    target,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function measure(target: string, args: string[], seconds: number): Promise<HttpResult> {
  const server = await startServer(args);
  try {
    const url = `${server.url}/services/usermanagement/api/users/${server.userId}`;
    const headers: Record<string, string> = server.token === 'none' ? {} : { authorization: `Bearer ${server.token}` };
    await load(target, url, headers, 2); // warm-up: JIT, caches, connection pools
    return await load(target, url, headers, seconds);
  } finally {
    server.child.kill('SIGTERM');
  }
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

export async function run(options: { seconds?: number } = {}): Promise<{ results: HttpResult[]; ratioSqliteToBare: number }> {
  const seconds = options.seconds ?? 10;
  const results: HttpResult[] = [];
  results.push(await measure('bare Fastify route (baseline)', ['bare'], seconds));
  results.push(await measure('Furrow on SQLite', ['furrow'], seconds));
  const database = await freshPostgresDatabase();
  if (database !== undefined) {
    try {
      results.push(await measure('Furrow on PostgreSQL', ['furrow', database.url], seconds));
    } finally {
      await database.drop();
    }
  }
  const bare = results[0]!.requestsPerSecond;
  const sqlite = results[1]!.requestsPerSecond;
  return { results, ratioSqliteToBare: sqlite / bare };
}

export function format(outcome: Awaited<ReturnType<typeof run>>): string {
  const bare = outcome.results[0]!.requestsPerSecond;
  const rows = outcome.results.map(
    (r) => `| ${r.target} | ${r.requestsPerSecond} | ${(r.requestsPerSecond / bare).toFixed(2)} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors + r.non2xx} |`,
  );
  return [
    'GET /services/usermanagement/api/users/{id}, 50 connections, autocannon',
    '| target | req/s | ratio to bare | p50 ms | p99 ms | errors + non-2xx |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await run();
  process.stdout.write(`${format(outcome)}\n`);
}
