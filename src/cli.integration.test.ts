/**
 * The README's first command, as a user runs it: `furrow serve` on a fresh data directory starts,
 * creates the first API owner, answers Leaf's routes over real HTTP, drains on SIGTERM and exits 0;
 * a second start reuses the master key; a wrong master key is refused.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = new URL('./cli.ts', import.meta.url).pathname;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-cli-'));
const children: ChildProcessWithoutNullStreams[] = [];

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function serve(env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--port', '0', '--data', dataDir], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', FURROW_WORKERS: '1', ...env }, // eslint-disable-line no-restricted-syntax -- the child needs a PATH
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`furrow serve did not start:\n${stdout}\n${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Furrow is listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stderr: () => stderr, exit });
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`furrow serve exited with ${code}:\n${stdout}\n${stderr}`), { code, stderr }));
    });
  });
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('furrow serve', () => {
  let password = '';

  it('starts on a fresh data directory, creates the first API owner, and serves Leaf routes', async () => {
    const server = await serve();
    const printed = /created API owner admin@furrow\.local with password (\S+)/.exec(server.stderr());
    expect(printed?.[1]).toBeDefined();
    password = printed![1]!;
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    const auth = await fetch(`${server.url}/api/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin@furrow.local', password, rememberMe: 'true' }),
    });
    expect(auth.status).toBe(200);
    const { id_token: token } = (await auth.json()) as { id_token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/services/usermanagement/api/users`, { method: 'POST', headers, body: JSON.stringify({ name: 'Jane', externalId: 'g-1' }) });
    expect(created.status).toBe(201);
    const list = await fetch(`${server.url}/services/usermanagement/api/users`, { headers });
    expect(list.headers.get('x-total-count')).toBe('1');
    expect(((await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> }).paths).toHaveProperty('/services/usermanagement/api/users');
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('starts again with the same master key and owner, printing no new password', async () => {
    const server = await serve();
    expect(server.stderr()).not.toContain('with password');
    const auth = await fetch(`${server.url}/api/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin@furrow.local', password }),
    });
    expect(auth.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('refuses to start with a master key other than the database was created with', async () => {
    const error = (await serve({ FURROW_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('master_key_mismatch');
  });

  it('names every bad variable and exits 2', async () => {
    const error = (await serve({ FURROW_BODY_LIMIT_BYTES: 'x', LOG_LEVEL: 'loud' }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toContain('FURROW_BODY_LIMIT_BYTES');
    expect(error.stderr).toContain('LOG_LEVEL');
  });
});
