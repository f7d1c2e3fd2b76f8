/**
 * The server side of the HTTP benchmark, run in its own process so the load generator does not
 * share its event loop. `furrow`: the real API (services, auth, SQLite or PostgreSQL, JSON logs at
 * info level written to /dev/null by the service's own log writer, so their cost counts); `bare`:
 * a Fastify route returning a constant user, the baseline. Prints `ready <url> <token> <userId>`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { providers } from '../src/providers/registry.js';
import { buildApp } from '../src/api/app.js';
import { createServices } from '../src/services/index.js';
import { openStorage } from '../src/storage/database.js';
import { createLogger, logDestination } from '../src/logger.js';
import type { Config } from '../src/config.js';

const [mode = 'furrow', databaseUrlArg, levelArg] = process.argv.slice(2);
const databaseUrl = databaseUrlArg === '-' ? undefined : databaseUrlArg;

const sampleUser = {
  id: crypto.randomUUID(),
  name: 'Jane Smith',
  email: 'jane@example.com',
  phone: '+15551234567',
  address: '123 Field Rd, Ames, IA 50010',
  externalId: 'grower-9381',
  apiOwnerUsername: 'bench@example.com',
  createdTime: new Date().toISOString(),
  updatedTime: new Date().toISOString(),
};

if (mode === 'bare') {
  const app = Fastify();
  app.get('/services/usermanagement/api/users/:id', async () => sampleUser);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`ready ${url} none ${sampleUser.id}\n`);
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-bench-'));
  const storage = openStorage(databaseUrl !== undefined ? { kind: 'postgres', url: databaseUrl } : { kind: 'sqlite', file: path.join(dir, 'furrow.sqlite') });
  await storage.migrate();
  // No credentials in this benchmark, so no job queue behind the credentials service.
  const services = createServices(storage, { masterKey: crypto.randomBytes(32), jobs: { scheduleRefresh: async () => {}, cancel: async () => {} } });
  const logger = createLogger((levelArg ?? 'info') as Config['logLevel'], logDestination('/dev/null'));
  const app = await buildApp({ logger, bodyLimitBytes: 1024 * 1024, ...services, providers, checkHealth: async () => {} });
  await services.apiOwners.create('bench@example.com', 'bench password');
  const { idToken } = await services.apiOwners.authenticate('bench@example.com', 'bench password', true);
  const owner = await services.apiOwners.verifyToken(idToken);
  // A realistic table: the looked-up user is one of many, of this owner and of others.
  const other = await services.apiOwners.create('other@example.com', 'bench password');
  let target = '';
  for (let i = 0; i < 2000; i += 1) {
    const ownerContext = i % 2 === 0 ? owner : { ownerId: other.id, username: other.email };
    const user = await services.users.create(ownerContext, { name: `user ${i}`, email: `u${i}@example.com`, externalId: `ext-${i}` });
    if (i === 1000) target = user.id;
  }
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`ready ${url} ${idToken} ${target}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => storage.close()).then(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}
