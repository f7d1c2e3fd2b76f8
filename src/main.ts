/**
 * Composition root: config -> master key -> database -> services -> job queue -> HTTP API.
 * `furrow serve` runs all of it; `furrow worker` runs everything but the HTTP listener.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { providers } from './providers/registry.js';
import { SandboxAccountStore } from './sandbox/index.js';
import { buildApp } from './api/app.js';
import { FurrowError } from './domain/index.js';
import { createJobQueue } from './jobs/create-job-queue.js';
import { credentialJobsOn } from './jobs/credential-jobs.js';
import { alertJobsOn } from './jobs/alert-jobs.js';
import { machineFileJobsOn } from './jobs/machine-file-jobs.js';
import { fieldOperationJobsOn } from './jobs/field-operation-jobs.js';
import { syncJobsOn } from './jobs/sync-jobs.js';
import { providerFileJobsOn } from './jobs/provider-file-jobs.js';
import type { JobQueue } from './jobs/queue.js';
import { createTasks, schedules } from './jobs/tasks/index.js';
import { masterKeyCheck, resolveMasterKey } from './keys/index.js';
import { createLogger } from './logger.js';
import { createServices, type Services } from './services/index.js';
import { openStorage, type Storage } from './storage/database.js';
import { metaRepository } from './storage/repositories/meta.js';
import { createBlobStore } from './storage/blobs/index.js';

export interface Furrow {
  config: Config;
  logger: Logger;
  storage: Storage;
  services: Services;
  queue: JobQueue;
  /** Present for `serve`; absent for a worker-only process. */
  app: FastifyInstance | undefined;
  /** The URL the API listens on, once `start()` resolved. */
  url: string | undefined;
  /** Listens (for `serve`) and starts in-process workers. */
  start(): Promise<void>;
  /** Drains: stops accepting requests, finishes or releases running jobs, closes the database. */
  stop(): Promise<void>;
}

export interface FurrowOptions {
  role: 'serve' | 'worker';
  logger?: Logger;
  /** Where the one-time admin password is shown; the console by default, never the log. */
  announce?: (message: string) => void;
}

/** Refuses to start with a master key other than the one the database was first used with. */
async function checkMasterKey(storage: Storage, masterKey: Buffer): Promise<void> {
  const meta = metaRepository(storage.db);
  const expected = masterKeyCheck(masterKey);
  const stored = await meta.setIfAbsent('master_key_check', expected);
  const same = stored.length === expected.length && crypto.timingSafeEqual(Buffer.from(stored), Buffer.from(expected));
  if (!same) {
    throw new FurrowError(
      'master_key_mismatch',
      'The master key does not match the one this database was created with, so stored secrets could not be decrypted. ' +
        'Set FURROW_MASTER_KEY (or restore <data>/master.key) to the original key.',
    );
  }
}

/** On the embedded default, the first start creates an API owner so the API can be used at once. */
async function ensureFirstApiOwner(config: Config, services: Services, announce: (message: string) => void, logger: Logger): Promise<void> {
  if (config.mode !== 'embedded' || (await services.apiOwners.count()) > 0) return;
  const email = config.admin.email ?? 'admin@furrow.local';
  const generated = config.admin.password === undefined;
  const password = config.admin.password ?? crypto.randomBytes(18).toString('base64url');
  await services.apiOwners.create(email, password);
  logger.info({ email, generatedPassword: generated }, 'created the first API owner');
  if (generated) {
    announce(
      `\nFirst start: created API owner ${email} with password ${password}\n` +
        'This password is shown once; change it by creating another owner with `furrow api-owner create`.\n',
    );
  }
}

export async function createFurrow(config: Config, options: FurrowOptions): Promise<Furrow> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const announce = options.announce ?? ((message: string) => process.stderr.write(`${message}\n`));
  const { key: masterKey, generated } = resolveMasterKey({ configured: config.masterKey, dataDir: config.dataDir });
  if (generated) logger.info({ dataDir: config.dataDir }, 'generated a master key into the data directory (mode 0600)');

  const storage = openStorage(config.database);
  let queue: JobQueue | undefined;
  try {
    const { applied } = await storage.migrate();
    if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    await checkMasterKey(storage, masterKey);
    const meta = metaRepository(storage.db);
    const secretKeyVersion = Number(await meta.setIfAbsent('secret_key_version', '1'));
    let publicUrl = config.publicUrl;
    const services = createServices(storage, {
      masterKey,
      secretKeyVersion,
      jobs: credentialJobsOn(() => jobs),
      sandboxBaseUrl: () => (!config.sandbox ? undefined : (config.sandboxUrl ?? (publicUrl === undefined ? undefined : `${publicUrl}/sandbox`))),
      publicUrl: () => publicUrl,
      alerts: {
        jobs: alertJobsOn(() => jobs),
        retryScale: config.alerts.retryScale,
        allowPrivate: config.alerts.allowPrivate,
        onError: (error, context) => logger.warn({ err: error }, `alerts: ${context}`),
      },
      machineFiles: {
        dir: config.files.dir,
        blobs: createBlobStore(config.files),
        uploadLimitBytes: config.files.uploadLimitBytes,
        publicUrl: () => publicUrl,
        jobs: machineFileJobsOn(() => jobs),
      },
      fieldOperations: { jobs: fieldOperationJobsOn(() => jobs) },
      sync: { jobs: syncJobsOn(() => jobs), files: providerFileJobsOn(() => jobs) },
    });
    queue = createJobQueue(storage, config.jobs, createTasks(services), logger.child({ component: 'jobs' }));
    const jobs = queue;
    for (const schedule of schedules) jobs.schedule(schedule);
    await ensureFirstApiOwner(config, services, announce, logger);

    const app =
      options.role === 'serve'
        ? await buildApp({
            logger,
            bodyLimitBytes: config.http.bodyLimitBytes,
            ...services,
            providers,
            ...(config.sandbox ? { sandbox: { store: new SandboxAccountStore() } } : {}),
            checkHealth: async () => {
              await storage.db.selectFrom('furrow_meta').select('key').limit(1).execute();
              await jobs.checkHealth();
            },
          })
        : undefined;

    let stopping: Promise<void> | undefined;
    const furrow: Furrow = {
      config,
      logger,
      storage,
      services,
      queue: jobs,
      app,
      url: undefined,
      async start() {
        await jobs.start({ concurrency: options.role === 'worker' ? Math.max(1, config.workers) : config.workers });
        if (app !== undefined) {
          const address = await app.listen({ port: config.http.port, host: config.http.host });
          furrow.url = address;
          publicUrl ??= address;
        }
      },
      stop() {
        stopping ??= (async () => {
          // Order matters: stop taking requests first (in-flight ones finish), then let jobs
          // finish or release them, and only then close the database they all write to.
          await app?.close();
          await jobs.close();
          services.alerts.close();
          await storage.close();
        })();
        return stopping;
      },
    };
    return furrow;
  } catch (error) {
    await queue?.close().catch(() => {});
    await storage.close().catch(() => {});
    throw error;
  }
}
