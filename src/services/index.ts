/** @module Use cases: the only layer that combines storage, providers, formats and spatial code. */
import os from 'node:os';
import path from 'node:path';
import { createSecretBox, secretKeyRingFromMaster } from '../keys/index.js';
import type { FetchLike } from '../providers/provider.js';
import { providers } from '../providers/registry.js';
import type { Storage } from '../storage/database.js';
import { apiOwnersRepository } from '../storage/repositories/api-owners.js';
import { configurationsRepository } from '../storage/repositories/configurations.js';
import { credentialEventsRepository } from '../storage/repositories/credential-events.js';
import { credentialsRepository } from '../storage/repositories/credentials.js';
import { organizationsRepository } from '../storage/repositories/organizations.js';
import { usersRepository } from '../storage/repositories/users.js';
import { apiOwnersService, type ApiOwnersService } from './api-owners.js';
import { configurationsService, type ConfigurationsService } from './configurations.js';
import { credentialsService, type CredentialJobs, type CredentialsService } from './credentials.js';
import { organizationsService, type OrganizationsService } from './organizations.js';
import { usersService, type UsersService } from './users.js';
import { appKeySecretColumn, pkceVerifierSecretColumn, secretKeysService, type SecretKeysService } from './secret-keys.js';
import { metaRepository } from '../storage/repositories/meta.js';
import { alertOutboxRepository } from '../storage/repositories/alert-outbox.js';
import { alertWebhooksRepository } from '../storage/repositories/alert-webhooks.js';
import { transactor } from '../storage/unit-of-work.js';
import { createAlertSender, type AlertSenderOptions } from '../alerts/index.js';
import { alertsService, type AlertJobs, type AlertsService } from './alerts.js';
import { appKeysRepository } from '../storage/repositories/app-keys.js';
import { userApiKeysRepository } from '../storage/repositories/user-api-keys.js';
import { magicLinksRepository } from '../storage/repositories/magic-links.js';
import { oauthStatesRepository } from '../storage/repositories/oauth-states.js';
import { appKeysService, type AppKeysService } from './app-keys.js';
import { apiKeysService, type ApiKeysService } from './api-keys.js';
import { magicLinksService, type MagicLinksService } from './magic-links.js';
import { magicLinkUploadsService, type MagicLinkUploadsService } from './magic-link-uploads.js';
import { filesystemBlobStore, type BlobStore } from '../storage/blobs/index.js';
import { machineFileBatchesRepository } from '../storage/repositories/machine-file-batches.js';
import { machineFilesRepository } from '../storage/repositories/machine-files.js';
import { machineFilesService, type MachineFileJobs, type MachineFilesService } from './machine-files.js';
import { formatsPipeline, type MachineFilePipeline } from './machine-files-pipeline.js';
import { fieldsRepository } from '../storage/repositories/fields.js';
import { fieldsService, type FieldsService } from './fields.js';
import { boundaryUploadsRepository } from '../storage/repositories/boundary-uploads.js';
import { boundaryUploadsService, type BoundaryUploadsService } from './fields-uploads.js';
import { fieldOperationsRepository } from '../storage/repositories/field-operations.js';
import { configurationsNotifying, fieldOperationsService, type FieldOperationJobs, type FieldOperationsService } from './field-operations.js';
import { syncRepository } from '../storage/repositories/sync.js';
import { syncService, type SyncJobs, type SyncService } from './sync.js';
import { providerEventTokensRepository } from '../storage/repositories/provider-event-tokens.js';
import { eventTokenSecretColumn, syncEventsService, type SyncEventsService } from './sync-events.js';
import { syncScheduleService, type SyncScheduleService } from './sync-schedule.js';
import { syncFilesStep } from './sync-files.js';
import { providerFileDownloads, type ProviderFileDownloads, type ProviderFileJobs } from './provider-file-downloads.js';

export interface Services {
  apiOwners: ApiOwnersService;
  users: UsersService;
  configurations: ConfigurationsService;
  credentials: CredentialsService;
  organizations: OrganizationsService;
  secretKeys: SecretKeysService;
  alerts: AlertsService;
  machineFiles: MachineFilesService;
  appKeys: AppKeysService;
  apiKeys: ApiKeysService;
  magicLinks: MagicLinksService;
  magicLinkUploads: MagicLinkUploadsService;
  fields: FieldsService;
  boundaryUploads: BoundaryUploadsService;
  fieldOperations: FieldOperationsService;
  sync: SyncService;
  /** Provider event subscriptions and deliveries. */
  syncEvents: SyncEventsService;
  /** The daily spread of credential syncs. */
  syncSchedule: SyncScheduleService;
  /** The download of provider machine files a sync listed (`download-provider-file` jobs). */
  providerFiles: ProviderFileDownloads;
}

/** Machine files: where their bytes go, how large an upload may be, and the queue's jobs. */
export interface MachineFilesOptions {
  /** `FURROW_FILES_DIR`. */
  dir: string;
  /** Where the bytes go (`FURROW_BLOB_STORE`); absent: the filesystem store in `dir`. */
  blobs?: BlobStore;
  /** `FURROW_UPLOAD_LIMIT_BYTES`; 3 GiB by default, as Leaf. */
  uploadLimitBytes?: number;
  /** Base of download links (`FURROW_PUBLIC_URL`, or the listening address); read on each use. */
  publicUrl?: () => string | undefined;
  jobs: MachineFileJobs;
  /** The formats pipeline; the real one by default. */
  pipeline?: MachineFilePipeline;
}

export interface ServicesOptions {
  masterKey: Buffer;
  /** The secret key version that encrypts; older versions still decrypt (`furrow keys rotate`). */
  secretKeyVersion?: number;
  jobs: CredentialJobs;
  /** Furrow's `/sandbox` URL while the sandbox is on; read on every provider call. */
  sandboxBaseUrl?: () => string | undefined;
  fetch?: FetchLike;
  clock?: () => number;
  /** Alert delivery: the queue's drain jobs, and `config.alerts`. Absent: alerts are stored but never woken. */
  alerts?: {
    jobs: AlertJobs;
    retryScale?: number;
    allowPrivate?: boolean;
    /** Per-delivery deadline; 10 s by default. */
    timeoutMs?: number;
    resolve?: AlertSenderOptions['resolve'];
    onError?: (error: unknown, context: string) => void;
  };
  /** Absent: uploads go to a directory under the OS temp dir and are never processed (tools that need no files). */
  machineFiles?: MachineFilesOptions;
  /** Field operations' jobs (refresh per user, build per operation); absent: operations are never built. */
  fieldOperations?: { jobs: FieldOperationJobs };
  /** The sync engine's jobs (one pending sync per credential); absent: syncs run only when called. */
  sync?: { jobs: SyncJobs; files?: ProviderFileJobs };
  /** Provider event subscriptions: `subscribe: false` makes none (deliveries are still verified); on by default. */
  syncEvents?: { subscribe?: boolean };
  /** Furrow's public URL (FURROW_PUBLIC_URL, else the listening address): Magic Link URLs and the OAuth redirect URI. */
  publicUrl?: () => string | undefined;
}

const DEFAULT_UPLOAD_LIMIT_BYTES = 3 * 2 ** 30;

/** Every service, each given only the repositories it uses. */
export function createServices(storage: Storage, options: ServicesOptions): Services {
  const { db, dialect } = storage;
  const clock = options.clock ?? Date.now;
  const users = usersRepository(db, dialect);
  const credentials = credentialsRepository(db, dialect);
  const secretBox = createSecretBox(secretKeyRingFromMaster(options.masterKey, options.secretKeyVersion ?? 1));
  // Real time for the key-version cache even when tests freeze the services' clock.
  const appKeyRows = appKeysRepository(db, dialect);
  const oauthStates = oauthStatesRepository(db);
  const eventTokens = providerEventTokensRepository(db);
  const secretKeys = secretKeysService({ credentials, meta: metaRepository(db), columns: [appKeySecretColumn(appKeyRows), pkceVerifierSecretColumn(oauthStates), eventTokenSecretColumn(eventTokens)], secretBox, masterKey: options.masterKey });
  const alertOptions = options.alerts;
  const alerts = alertsService({
    webhooks: alertWebhooksRepository(db, dialect),
    outbox: alertOutboxRepository(db, dialect),
    transact: transactor(db),
    secretBox,
    secretKeys,
    jobs: alertOptions?.jobs ?? { wake: async () => {}, cancel: async () => {} },
    sender: createAlertSender({
      allowPrivate: alertOptions?.allowPrivate ?? false,
      ...(alertOptions?.timeoutMs === undefined ? {} : { timeoutMs: alertOptions.timeoutMs }),
      ...(alertOptions?.resolve === undefined ? {} : { resolve: alertOptions.resolve }),
    }),
    retryScale: alertOptions?.retryScale ?? 1,
    clock,
    ...(alertOptions?.onError === undefined ? {} : { onError: alertOptions.onError }),
  });
  const services = {
    secretKeys,
    alerts,
    apiOwners: apiOwnersService({ owners: apiOwnersRepository(db, dialect), masterKey: options.masterKey, clock }),
    users: usersService({ users, clock }),
    configurations: configurationsService({ configurations: configurationsRepository(db, dialect), users, clock }),
    credentials: credentialsService({
      credentials,
      events: credentialEventsRepository(db, dialect),
      users,
      secretBox,
      secretKeys,
      providers,
      jobs: options.jobs,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      sandboxBaseUrl: options.sandboxBaseUrl ?? (() => undefined),
      clock,
      alerts,
      transact: transactor(db),
      // Declared below: the hook runs only once a credential is stored, after construction.
      onConnected: async (record) => void (await sync.requestCredentialSync(record)),
    }),
  };
  const files = options.machineFiles;
  const fileRows = machineFilesRepository(db, dialect);
  const batchRows = machineFileBatchesRepository(db, dialect);
  const blobs = files?.blobs ?? filesystemBlobStore(files?.dir ?? path.join(os.tmpdir(), 'furrow-files'));
  const pipeline = files?.pipeline ?? formatsPipeline();
  // Fields and operations know each other through the fields hook, which only fires once both
  // exist, so it may name the operations service declared below.
  const fields = fieldsService({
    fields: fieldsRepository(db, dialect),
    users,
    configurations: services.configurations,
    alerts,
    clock,
    onFieldsChanged: (owner, userId, fieldIds) => fieldOperations.onFieldsChanged(owner, userId, fieldIds),
    onGrowersSyncEnabled: async (owner, userIds) => {
      for (const userId of userIds) await sync.requestUserSync(owner, userId, { fields: true });
    },
  });
  const fieldOperations: FieldOperationsService = fieldOperationsService({
    operations: fieldOperationsRepository(db, dialect),
    files: fileRows,
    batches: batchRows,
    users,
    fields,
    configurations: services.configurations,
    alerts,
    blobs,
    pipeline,
    jobs: options.fieldOperations?.jobs ?? { refresh: async () => {}, build: async () => {} },
    publicUrl: files?.publicUrl ?? (() => undefined),
    clock,
  });
  const machineFiles = machineFilesService({
    files: fileRows,
    batches: batchRows,
    operations: fieldOperations,
    users,
    configurations: services.configurations,
    alerts,
    blobs,
    jobs: files?.jobs ?? { processBatch: async () => {}, processMerge: async () => {} },
    pipeline,
    uploadLimitBytes: files?.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES,
    publicUrl: files?.publicUrl ?? (() => undefined),
    clock,
  });
  const syncEvents = syncEventsService({
    tokens: eventTokens,
    credentialRecords: credentials,
    credentials: services.credentials,
    providers,
    secretBox,
    refreshKeyVersion: secretKeys.refreshCurrentVersion,
    jobs: options.sync?.jobs ?? { syncCredential: async () => {} },
    publicUrl: options.publicUrl ?? (() => undefined),
    subscribe: options.syncEvents?.subscribe ?? true,
    clock,
  });
  const sync: SyncService = syncService({
    events: syncEvents,
    credentialRecords: credentials,
    credentials: services.credentials,
    providers,
    sync: syncRepository(db, dialect),
    fieldRows: fieldsRepository(db, dialect),
    fields,
    configurations: configurationsRepository(db, dialect),
    organizations: organizationsRepository(db, dialect),
    alerts,
    jobs: options.sync?.jobs ?? { syncCredential: async () => {} },
    clock,
    // Provider machine files: only where the queue can run their downloads.
    ...(options.sync?.files === undefined ? {} : { files: syncFilesStep({ sync: syncRepository(db, dialect), jobs: options.sync.files, clock }) }),
  });
  const providerFiles = providerFileDownloads({
    credentialRecords: credentials,
    credentials: services.credentials,
    providers,
    batches: batchRows,
    blobs,
    jobs: files?.jobs ?? { processBatch: async () => {} },
    downloads: options.sync?.files,
    machineFiles,
    clock,
  });
  const organizations = organizationsService({
    organizations: organizationsRepository(db, dialect),
    credentials: services.credentials,
    configurations: configurationsRepository(db, dialect),
    providers,
    clock,
    onSyncRequested: async (credential) => void (await sync.requestCredentialSync(credential)),
  });
  const publicUrl = options.publicUrl ?? (() => undefined);
  const appKeys = appKeysService({ appKeys: appKeyRows, secretBox, providers, publicUrl, refreshKeyVersion: secretKeys.refreshCurrentVersion, clock });
  const links = magicLinksRepository(db, dialect);
  const magicLinks = magicLinksService({
    links,
    states: oauthStates,
    appKeys,
    users: services.users,
    credentials: services.credentials,
    organizations,
    secretBox,
    providers,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    sandboxBaseUrl: options.sandboxBaseUrl ?? (() => undefined),
    publicUrl,
    refreshKeyVersion: secretKeys.refreshCurrentVersion,
    clock,
  });
  return {
    ...services,
    configurations: configurationsNotifying(services.configurations, fieldOperations),
    machineFiles,
    fields,
    boundaryUploads: boundaryUploadsService({ uploads: boundaryUploadsRepository(db, dialect), fields, clock }),
    fieldOperations,
    sync,
    syncEvents,
    syncSchedule: syncScheduleService({ sync: syncRepository(db, dialect), providers, jobs: options.sync?.jobs ?? { syncCredential: async () => {} } }),
    providerFiles,
    organizations,
    appKeys,
    apiKeys: apiKeysService({ keys: userApiKeysRepository(db), users: services.users, clock }),
    magicLinks,
    magicLinkUploads: magicLinkUploadsService({ links, magicLinks, machineFiles, clock }),
  };
}
