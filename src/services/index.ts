/** @module Use cases: the only layer that combines storage, providers, formats and spatial code. */
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
import { secretKeysService, type SecretKeysService } from './secret-keys.js';
import { metaRepository } from '../storage/repositories/meta.js';
import { alertOutboxRepository } from '../storage/repositories/alert-outbox.js';
import { alertWebhooksRepository } from '../storage/repositories/alert-webhooks.js';
import { transactor } from '../storage/unit-of-work.js';
import { createAlertSender, type AlertSenderOptions } from '../alerts/index.js';
import { alertsService, type AlertJobs, type AlertsService } from './alerts.js';

export interface Services {
  apiOwners: ApiOwnersService;
  users: UsersService;
  configurations: ConfigurationsService;
  credentials: CredentialsService;
  organizations: OrganizationsService;
  secretKeys: SecretKeysService;
  alerts: AlertsService;
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
}

/** Every service, each given only the repositories it uses. */
export function createServices(storage: Storage, options: ServicesOptions): Services {
  const { db, dialect } = storage;
  const clock = options.clock ?? Date.now;
  const users = usersRepository(db, dialect);
  const credentials = credentialsRepository(db, dialect);
  const secretBox = createSecretBox(secretKeyRingFromMaster(options.masterKey, options.secretKeyVersion ?? 1));
  // Real time for the key-version cache even when tests freeze the services' clock.
  const secretKeys = secretKeysService({ credentials, meta: metaRepository(db), secretBox, masterKey: options.masterKey });
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
    }),
  };
  return {
    ...services,
    organizations: organizationsService({ organizations: organizationsRepository(db, dialect), credentials: services.credentials, configurations: configurationsRepository(db, dialect), providers, clock }),
  };
}
