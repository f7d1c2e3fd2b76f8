/**
 * The race SPEC section 5 guards against: three `furrow worker` processes and the API process all
 * refreshing one Climate FieldView credential, whose refresh tokens rotate, at the same time. The
 * emulator counts every refresh token redeemed twice; there must be none, and no invalid_grant.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createFurrow, type Furrow } from '../main.js';
import { testDatabases } from '../storage/testing/test-databases.js';

const databases = await testDatabases();
const cli = new URL('../cli.ts', import.meta.url).pathname;

describe.each(databases.filter((d) => d.name === 'postgres'))('one rotating credential refreshed from four processes on $name', (database) => {
  let furrow: Furrow;
  let drop: () => Promise<void>;
  const workers: ChildProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-race-'));

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    if (created.config.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const env = {
      DATABASE_URL: created.config.url,
      FURROW_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      FURROW_DATA_DIR: dataDir,
      FURROW_SANDBOX: 'true',
      FURROW_WORKERS: '0',
      FURROW_JOB_POLL_INTERVAL_MS: '50',
      FURROW_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    furrow = await createFurrow(loadConfig(env), { role: 'serve', logger: pino({ level: 'silent' }) });
    await furrow.start();
    for (let i = 0; i < 3; i += 1) {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'worker'], {
        env: { PATH: process.env.PATH ?? '', ...env, FURROW_WORKERS: '8', FURROW_PUBLIC_URL: furrow.url! }, // eslint-disable-line no-restricted-syntax -- the child needs a PATH
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      workers.push(child);
    }
  });

  afterAll(async () => {
    for (const child of workers) child.kill('SIGTERM');
    await Promise.all(workers.map((child) => new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(null)))));
    await furrow?.stop();
    await drop?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('redeems every refresh token once: no double redemption, no invalid_grant', async () => {
    const { apiOwners } = furrow.services;
    await apiOwners.create('race@example.com', 'race password');
    const { idToken } = await apiOwners.authenticate('race@example.com', 'race password', false);
    const api = (method: string, url: string, body?: unknown) =>
      fetch(`${furrow.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${idToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const user = (await (await api('POST', '/services/usermanagement/api/users', { name: 'race' })).json()) as { id: string };
    const account = (await (await api('POST', '/sandbox/api/accounts', { provider: 'climate-field-view' })).json()) as { id: string; credentials: unknown };
    const base = `/services/usermanagement/api/users/${user.id}/climate-field-view-credentials`;
    const posted = await api('POST', base, account.credentials);
    expect(posted.status).toBe(201);
    const credentialId = ((await posted.json()) as { id: string }).id;

    // 100 forced refreshes for the three worker processes (each asks for a refresh newer than the
    // moment it runs), and 50 /refresh calls to the API, in waves over half a second.
    const waves = <T>(count: number, each: () => Promise<T>) =>
      Promise.all(
        Array.from({ length: count }, async (_, wave) => {
          await new Promise((resolve) => setTimeout(resolve, wave * 25));
          return Promise.all(Array.from({ length: 5 }, each));
        }),
      ).then((all) => all.flat());
    const [jobIds, answers] = await Promise.all([
      waves(20, () => furrow.queue.enqueue('refresh-credential', { credentialId, force: true })),
      waves(10, async () => (await api('POST', `${base}/refresh`)).json() as Promise<{ status: string }>),
    ]);
    expect(answers.every((a) => a.status === 'OK')).toBe(true);

    const deadline = Date.now() + 60_000;
    for (;;) {
      const pending = (await Promise.all(jobIds.map((id) => furrow.queue.getJob(id)))).filter((job) => job !== undefined);
      if (pending.length === 0) break;
      if (Date.now() > deadline) throw new Error(`${pending.length} refresh jobs still pending: ${JSON.stringify(pending.slice(0, 2))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await furrow.queue.failedJobs({ task: 'refresh-credential' })).toEqual([]);

    const stats = (await (await api('GET', `/sandbox/api/accounts/${account.id}/stats`)).json()) as Record<string, number>;
    // Many refreshes really happened, each redeeming the token the previous one issued.
    expect(stats.refreshes).toBeGreaterThanOrEqual(5);
    expect(stats.refreshTokensRedeemedTwice).toBe(0);
    expect(stats.invalidGrantAnswers).toBe(0);

    // And the chain is intact: one more refresh works.
    const last = (await (await api('POST', `${base}/refresh`)).json()) as { status: string };
    expect(last.status).toBe('OK');
    expect(((await (await api('GET', `/sandbox/api/accounts/${account.id}/stats`)).json()) as Record<string, number>).refreshTokensRedeemedTwice).toBe(0);
  });
});
