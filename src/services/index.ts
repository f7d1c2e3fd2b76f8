/** @module Use cases: the only layer that combines storage, providers, formats and spatial code. */
import type { Storage } from '../storage/database.js';
import { apiOwnersRepository } from '../storage/repositories/api-owners.js';
import { usersRepository } from '../storage/repositories/users.js';
import { configurationsRepository } from '../storage/repositories/configurations.js';
import { apiOwnersService, type ApiOwnersService } from './api-owners.js';
import { usersService, type UsersService } from './users.js';
import { configurationsService, type ConfigurationsService } from './configurations.js';

export interface Services {
  apiOwners: ApiOwnersService;
  users: UsersService;
  configurations: ConfigurationsService;
}

/** Every service, each given only the repositories it uses. */
export function createServices(storage: Storage, options: { masterKey: Buffer; clock?: () => number }): Services {
  const { db, dialect } = storage;
  const clock = options.clock ?? Date.now;
  const users = usersRepository(db, dialect);
  return {
    apiOwners: apiOwnersService({ owners: apiOwnersRepository(db, dialect), masterKey: options.masterKey, clock }),
    users: usersService({ users, clock }),
    configurations: configurationsService({ configurations: configurationsRepository(db, dialect), users, clock }),
  };
}
