/**
 * A real Furrow API on a fresh database of the given kind, for route tests: real storage, real
 * services, requests through Fastify's injector (the full HTTP pipeline without a socket).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { providers } from '../../providers/registry.js';
import pino, { type Logger } from 'pino';
import { createServices, type Services } from '../../services/index.js';
import { openTestStorage, type TestDatabase } from '../../storage/testing/test-databases.js';
import type { Storage } from '../../storage/database.js';
import type { BlobStore } from '../../storage/blobs/index.js';
import { buildApp } from '../app.js';
import { SANDBOX_PATH, SandboxAccountStore } from '../../sandbox/index.js';
import { createJobQueue } from '../../jobs/create-job-queue.js';
import { credentialJobsOn } from '../../jobs/credential-jobs.js';
import { alertJobsOn } from '../../jobs/alert-jobs.js';
import { machineFileJobsOn } from '../../jobs/machine-file-jobs.js';
import { fieldOperationJobsOn } from '../../jobs/field-operation-jobs.js';
import { syncJobsOn } from '../../jobs/sync-jobs.js';
import { providerFileJobsOn } from '../../jobs/provider-file-jobs.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { ProviderFileJobs } from '../../services/provider-file-downloads.js';
import { createTasks } from '../../jobs/tasks/index.js';

export interface ApiHarness {
  app: FastifyInstance;
  storage: Storage;
  services: Services;
  queue: JobQueue;
  /** The loopback URL the app listens on, with `sandbox: true`. */
  url: string | undefined;
  sandboxStore: SandboxAccountStore | undefined;
  masterKey: Buffer;
  /** The machine-file blob store's directory (FURROW_FILES_DIR), removed on close. */
  filesDir: string;
  /** A bearer token of the harness's first API owner. */
  token: string;
  /** Creates another API owner and returns its token (for tenant-isolation tests). */
  newOwnerToken(): Promise<string>;
  /** An injected request with the harness owner's token unless `token` is given (null: none). */
  request(options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  bodyLimitBytes?: number;
  /**
   * Serve the sandbox and listen on a loopback port, so adapters reach the emulators over real
   * HTTP, as they do in a running Furrow.
   */
  sandbox?: boolean;
  /** Faster refresh-lease retries etc. for tests that race; passed to the services' clock. */
  clock?: () => number;
  /** The app's logger; silent by default. */
  logger?: Logger;
  /**
   * Alert delivery: `retryScale` (default 1) and `allowPrivate` (default true: test receivers
   * listen on loopback), as FURROW_ALERT_RETRY_SCALE and FURROW_ALERTS_ALLOW_PRIVATE set them.
   */
  alerts?: { retryScale?: number; allowPrivate?: boolean; timeoutMs?: number };
  /** FURROW_UPLOAD_LIMIT_BYTES; 3 GiB by default. */
  uploadLimitBytes?: number;
  /** The machine-file blob store (FURROW_BLOB_STORE); the filesystem store in `filesDir` by default. */
  blobs?: BlobStore;
  /**
   * Queue provider syncs (on connect and on demand). Off by default: a sync runs in the background
   * once workers start and calls the provider, which would race tests that steer a sandbox
   * account's faults step by step and count what follows.
   */
  sync?: boolean;
  /**
   * Make provider event subscriptions during syncs (John Deere's deliver to this harness's
   * `/webhooks/provider-events`). Off by default: deliveries queue syncs that tests counting runs do not expect.
   */
  events?: boolean;
  /**
   * Wraps the sync's download jobs as the services queue them: a test sees when a download waiting
   * for a provider's export queued itself again, and may bring it forward instead of waiting.
   */
  providerFileJobs?: (queued: ProviderFileJobs) => ProviderFileJobs;
}

export async function startApiHarness(database: TestDatabase, options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const storage = await openTestStorage(database);
  const masterKey = crypto.randomBytes(32);
  let url: string | undefined;
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-files-'));
  // A real queue, not started: tests see what was enqueued, and start workers when they want them.
  const services: Services = createServices(storage, {
    masterKey,
    jobs: credentialJobsOn(() => queue),
    sandboxBaseUrl: () => (url === undefined ? undefined : `${url}${SANDBOX_PATH}`),
    publicUrl: () => url,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    alerts: { jobs: alertJobsOn(() => queue), retryScale: 1, allowPrivate: true, ...options.alerts },
    machineFiles: {
      dir: filesDir,
      publicUrl: () => url,
      jobs: machineFileJobsOn(() => queue),
      ...(options.uploadLimitBytes === undefined ? {} : { uploadLimitBytes: options.uploadLimitBytes }),
      ...(options.blobs === undefined ? {} : { blobs: options.blobs }),
    },
    fieldOperations: { jobs: fieldOperationJobsOn(() => queue) },
    sync: { jobs: options.sync === true ? syncJobsOn(() => queue) : { syncCredential: async () => {} }, files: (options.providerFileJobs ?? ((queued) => queued))(providerFileJobsOn(() => queue)) },
    syncEvents: { subscribe: options.events === true },
  });
  const sandboxStore = options.sandbox === true ? new SandboxAccountStore() : undefined;
  const queue: JobQueue = createJobQueue(storage, { pollIntervalMs: 50, leaseMs: 2000, shutdownTimeoutMs: 1000 }, createTasks(services), pino({ level: 'silent' }));
  const app = await buildApp({
    logger: options.logger ?? pino({ level: 'silent' }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    ...services,
    providers,
    ...(sandboxStore === undefined ? {} : { sandbox: { store: sandboxStore } }),
    checkHealth: async () => {
      await storage.db.selectFrom('furrow_meta').select('key').limit(1).execute();
    },
  });
  await app.ready();
  if (sandboxStore !== undefined) url = await app.listen({ port: 0, host: '127.0.0.1' });
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
    queue,
    get url() {
      return url;
    },
    sandboxStore,
    masterKey,
    filesDir,
    token,
    newOwnerToken,
    request: ({ token: given, headers, ...rest }) =>
      app.inject({
        ...rest,
        headers: { ...(given === null ? {} : { authorization: `Bearer ${given ?? token}` }), ...(headers ?? {}) },
      }),
    async close() {
      await app.close();
      await queue.close();
      services.alerts.close();
      await storage.close();
      fs.rmSync(filesDir, { recursive: true, force: true });
    },
  };
}
