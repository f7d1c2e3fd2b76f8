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

export interface Services {
  apiOwners: ApiOwnersService;
  users: UsersService;
  configurations: ConfigurationsService;
  credentials: CredentialsService;
  organizations: OrganizationsService;
  secretKeys: SecretKeysService;
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
  const services = {
    secretKeys,
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
    }),
  };
  return {
    ...services,
    organizations: organizationsService({ organizations: organizationsRepository(db, dialect), credentials: services.credentials, configurations: configurationsRepository(db, dialect), providers, clock }),
  };
}
