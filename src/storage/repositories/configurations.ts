// Placeholder until the configurations repository lands.
import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database } from '../schema.js';
export function configurationsRepository(_db: Kysely<Database>, _dialect: StorageDialect) { return {}; }
export type ConfigurationsRepository = ReturnType<typeof configurationsRepository>;
