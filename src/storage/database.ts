import { Kysely, Migrator, type MigrationProvider } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { StorageDialect } from './dialect/dialect.js';
import { postgresDialect } from './dialect/postgres.js';
import { sqliteDialect } from './dialect/sqlite.js';
import { migrationsFor } from './migrations/index.js';
import type { Database } from './schema.js';

export interface Storage {
  /** Where the database is: the queue opens its own connections to the same PostgreSQL server. */
  readonly config: DatabaseConfig;
  readonly db: Kysely<Database>;
  readonly dialect: StorageDialect;
  /** Applies pending migrations; safe to call from several processes at once (Kysely locks). */
  migrate(): Promise<{ applied: string[] }>;
  close(): Promise<void>;
}

export function openStorage(config: DatabaseConfig): Storage {
  const dialect = config.kind === 'postgres' ? postgresDialect(config.url) : sqliteDialect(config.file);
  const db = new Kysely<Database>({ dialect: dialect.kysely });
  let closed = false;
  return {
    config,
    db,
    dialect,
    async migrate() {
      const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
      const migrator = new Migrator({ db, provider });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) throw new Error(`Database migration failed: ${String(error)}`, { cause: error });
      return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await dialect.close();
    },
  };
}
