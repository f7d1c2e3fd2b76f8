/**
 * Every migration, in order. Names are stable forever: Kysely records them in
 * `kysely_migration`. A migration takes the dialect for the few column types that differ.
 */
import type { Kysely, Migration } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';
import * as foundation from './0001-foundation.js';
import * as credentials from './0002-credentials.js';
import * as organizations from './0003-organizations.js';
import * as alerts from './0004-alerts.js';
import * as machineFiles from './0005-machine-files.js';
import * as magicLinks from './0006-magic-links.js';
import * as fields from './0007-fields.js';
import * as operations from './0008-operations.js';
import * as sync from './0009-sync.js';
import * as providerFiles from './0010-provider-files.js';
import * as syncEvents from './0011-sync-events.js';
import * as syncLease from './0012-sync-lease.js';

type DialectMigration = { up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> };

const ordered: Record<string, DialectMigration> = {
  '0001-foundation': foundation,
  '0002-credentials': credentials,
  '0003-organizations': organizations,
  '0004-alerts': alerts,
  '0005-machine-files': machineFiles,
  '0006-magic-links': magicLinks,
  '0007-fields': fields,
  '0008-operations': operations,
  '0009-sync': sync,
  '0010-provider-files': providerFiles,
  '0011-sync-events': syncEvents,
  '0012-sync-lease': syncLease,
};

export function migrationsFor(dialect: StorageDialect): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(ordered).map(([name, m]) => [name, { up: (db: Kysely<unknown>) => m.up(db, dialect) }]),
  );
}
