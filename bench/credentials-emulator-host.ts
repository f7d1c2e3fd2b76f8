/**
 * The provider side of the credential benchmark, in its own process: a Furrow that serves only
 * the sandbox (no workers, its own throwaway SQLite), as John Deere's servers would be somewhere
 * else. Prints one JSON line `{ url, tokens }` (API-owner tokens for its sandbox control API,
 * `owners` of them) once it listens, then serves until SIGTERM.
 *
 * Run by bench/credentials.ts: `node --import tsx bench/credentials-emulator-host.ts <owners>`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { createFurrow } from '../src/main.js';

const owners = Number(process.argv[2] ?? '1');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-bench-emulator-'));
const furrow = await createFurrow(
  loadConfig({
    FURROW_DATA_DIR: dataDir,
    FURROW_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    FURROW_SANDBOX: 'true',
    FURROW_WORKERS: '0',
    FURROW_PORT: '0',
    LOG_LEVEL: 'silent',
  }),
  { role: 'serve', logger: pino({ level: 'silent' }), announce: () => {} },
);
await furrow.start();
const tokens: string[] = [];
for (let i = 0; i < owners; i++) {
  const email = `emulator-${i}@example.com`;
  await furrow.services.apiOwners.create(email, 'bench password');
  tokens.push((await furrow.services.apiOwners.authenticate(email, 'bench password', true)).idToken);
}
process.stdout.write(`${JSON.stringify({ url: furrow.url, tokens })}\n`);
process.once('SIGTERM', () => {
  void furrow.stop().finally(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
