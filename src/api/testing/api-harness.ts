/**
 * A real Furrow API on a fresh database of the given kind, for route tests: real storage, real
 * services, requests through Fastify's injector (the full HTTP pipeline without a socket).
 */
import crypto from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { createServices, type Services } from '../../services/index.js';
import { openTestStorage, type TestDatabase } from '../../storage/testing/test-databases.js';
import type { Storage } from '../../storage/database.js';
import { buildApp } from '../app.js';

export interface ApiHarness {
  app: FastifyInstance;
  storage: Storage;
  services: Services;
  masterKey: Buffer;
  /** A bearer token of the harness's first API owner. */
  token: string;
  /** Creates another API owner and returns its token (for tenant-isolation tests). */
  newOwnerToken(): Promise<string>;
  /** An injected request with the harness owner's token unless `token` is given (null: none). */
  request(options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startApiHarness(database: TestDatabase, options: { bodyLimitBytes?: number } = {}): Promise<ApiHarness> {
  const storage = await openTestStorage(database);
  const masterKey = crypto.randomBytes(32);
  const services = createServices(storage, { masterKey });
  const app = await buildApp({
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    ...services,
    checkHealth: async () => {
      await storage.db.selectFrom('furrow_meta').select('key').limit(1).execute();
    },
  });
  await app.ready();
  const newOwnerToken = async () => {
    const email = `owner-${crypto.randomUUID()}@example.com`;
    await services.apiOwners.create(email, 'correct horse battery');
    return (await services.apiOwners.authenticate(email, 'correct horse battery', false)).idToken;
  };
  const token = await newOwnerToken();
  return {
    app,
    storage,
    services,
    masterKey,
    token,
    newOwnerToken,
    request: ({ token: given, headers, ...rest }) =>
      app.inject({
        ...rest,
        headers: { ...(given === null ? {} : { authorization: `Bearer ${given ?? token}` }), ...(headers ?? {}) },
      }),
    async close() {
      await app.close();
      await storage.close();
    },
  };
}
