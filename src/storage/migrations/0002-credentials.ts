import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/** Provider credentials of Leaf users, and the 30-day log of their exchanges and status changes. */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    // The posted fields as GET shows them: public values as sent, secrets masked or absent.
    .addColumn('display', dialect.jsonType, (c) => c.notNull())
    // AES-256-GCM of { fields, tokens } with the row id as additional data (keys/secret-box.ts).
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('access_expires_at', 'text')
    .addColumn('scopes', dialect.jsonType)
    .addColumn('last_refresh_at', 'text')
    .addColumn('last_sync_time', 'text')
    // A lease, not a lock held across the provider call: whoever holds an unexpired lease is the
    // only process allowed to redeem this credential's refresh token.
    .addColumn('refresh_lease_owner', 'text')
    .addColumn('refresh_lease_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One credential per provider per user: a second POST reconnects in place.
  await db.schema.createIndex('credentials_user_provider').on('credentials').columns(['user_id', 'provider']).unique().execute();
  await db.schema.createIndex('credentials_owner').on('credentials').columns(['api_owner_id']).execute();
  await db.schema.createIndex('credentials_key_version').on('credentials').columns(['key_version']).execute();

  await db.schema
    .createTable('credential_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('headers', dialect.jsonType, (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credential_events_credential').on('credential_events').columns(['credential_id', 'created_at']).execute();
  await db.schema.createIndex('credential_events_created').on('credential_events').columns(['created_at']).execute();
}
