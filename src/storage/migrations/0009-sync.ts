import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * The sync engine (issue 5; SPEC section 6): one row per sync run of a credential, with its counts,
 * errors and the cursors it ended with; the cursors the next run resumes from; and the version of
 * every provider record last written, so an unchanged record is recognised without touching the
 * fields tables (an unchanged provider record causes no write).
 */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    // RUNNING | SUCCEEDED | PARTIAL (some records failed) | FAILED
    .addColumn('status', 'text', (c) => c.notNull())
    // { growers: { created, updated, unchanged, deleted }, farms: ..., fields: ..., boundaries: ... }
    .addColumn('counts', dialect.jsonType, (c) => c.notNull())
    // [{ kind, providerId, message }]
    .addColumn('errors', dialect.jsonType, (c) => c.notNull())
    // { "<organization id>": { fields: "<cursor>" } }
    .addColumn('cursors', dialect.jsonType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sync_runs_credential').on('sync_runs').columns(['credential_id', 'started_at']).execute();

  await db.schema
    .createTable('sync_cursors')
    .addColumn('credential_id', 'text', (c) => c.primaryKey().references('credentials.id').onDelete('cascade'))
    .addColumn('cursors', dialect.jsonType, (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sync_records')
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
    // grower | farm | field | boundary
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('provider_record_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    // The Furrow id the record was written to (grower and farm ids as text).
    .addColumn('local_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_records_pk', ['credential_id', 'kind', 'provider_record_id'])
    .execute();
}
