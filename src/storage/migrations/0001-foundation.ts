import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/** API owners, Leaf users and configurations. */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('furrow_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_owners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('address', 'text')
    .addColumn('external_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // NULLs are distinct in both databases, so users without an externalId never clash.
  await db.schema.createIndex('users_owner_external_id').on('users').columns(['api_owner_id', 'external_id']).unique().execute();
  await db.schema.createIndex('users_owner_created').on('users').columns(['api_owner_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('owner_configurations')
    .addColumn('api_owner_id', 'text', (c) => c.primaryKey().references('api_owners.id').onDelete('cascade'))
    .addColumn('settings', dialect.jsonType, (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_configurations')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('settings', dialect.jsonType, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
