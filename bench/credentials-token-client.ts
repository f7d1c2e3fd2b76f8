/**
 * The baseline of bench/credentials.ts: the emulator's ceiling. `refresh_token` grants posted
 * straight to the John Deere emulator's token endpoint with `fetch`, `concurrency` at a time,
 * round-robin over sandbox grants that no credential uses (Deere does not rotate refresh tokens, so
 * one token can be redeemed again and again). No database, no job queue, no encryption: the
 * least work a refresh can cost the emulator and one client.
 *
 * Imported by the benchmark for a client in its own process, and run as a child for a client in
 * another process, as `furrow worker` processes are:
 * `node --import tsx bench/credentials-token-client.ts` with a `TokenClientJob` as JSON on stdin;
 * it prints one `TokenClientResult` as JSON on stdout.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** One sandbox grant: the credentials body of `POST /sandbox/api/accounts`, minus the environment. */
export interface SandboxGrant {
  clientKey: string;
  clientSecret: string;
  refreshToken: string;
}

export interface TokenClientJob {
  tokenUrl: string;
  grants: SandboxGrant[];
  /** Timed calls. */
  calls: number;
  concurrency: number;
  /** Untimed calls first (JIT, connection pool). */
  warmupCalls: number;
}

export interface TokenClientResult {
  calls: number;
  seconds: number;
  perSecond: number;
  /** Answers other than 200 with an access token, and calls that got no answer. */
  errors: number;
  firstError: string | undefined;
}

/** RFC 6749 section 2.3.1: id and secret are form-encoded before base64. */
function basic(grant: SandboxGrant): string {
  const form = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(grant.clientKey)}:${form(grant.clientSecret)}`).toString('base64')}`;
}

/** Posts `calls` refresh grants, `concurrency` in flight, and times them. */
export async function hammerTokenEndpoint(job: TokenClientJob): Promise<TokenClientResult> {
  if (job.grants.length === 0) throw new Error('the token client needs at least one sandbox grant');
  const headers = job.grants.map((grant) => ({
    authorization: basic(grant),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }));
  const bodies = job.grants.map((grant) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: grant.refreshToken }).toString());
  let errors = 0;
  let firstError: string | undefined;
  const call = async (i: number) => {
    const g = i % job.grants.length;
    try {
      const response = await fetch(job.tokenUrl, { method: 'POST', headers: headers[g]!, body: bodies[g]! });
      const body = (await response.json()) as { access_token?: unknown };
      if (response.status !== 200 || typeof body.access_token !== 'string') {
        errors += 1;
        firstError ??= `HTTP ${response.status}: ${JSON.stringify(body).slice(0, 200)}`;
      }
    } catch (error) {
      errors += 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  };
  await inParallel(job.warmupCalls, job.concurrency, call);
  errors = 0;
  firstError = undefined;
  const start = performance.now();
  await inParallel(job.calls, job.concurrency, call);
  const seconds = (performance.now() - start) / 1000;
  return { calls: job.calls, seconds, perSecond: job.calls / seconds, errors, firstError };
}

/** Calls `each(0..n-1)` with up to `parallel` calls in flight. */
export async function inParallel(n: number, parallel: number, each: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) await each(next++);
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TokenClientJob;
  const result = await hammerTokenEndpoint(job);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
