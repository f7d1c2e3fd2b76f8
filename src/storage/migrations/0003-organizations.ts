import type { Kysely } from 'kysely';

/** Provider organizations of each credential with Leaf's sync-management status (leaf-api.md 3.5). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('provider_organizations')
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The organizations go with the credential: another account's organizations are other ones.
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // 0 or 1: SQLite has no boolean, and one representation keeps the repository dialect-free.
    .addColumn('connected', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('connect_url', 'text')
    .addColumn('synced_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    // The provider's id is the natural key: a re-sync updates, never duplicates.
    .addPrimaryKeyConstraint('provider_organizations_pkey', ['credential_id', 'organization_id'])
    .execute();
  await db.schema.createIndex('provider_organizations_owner_user').on('provider_organizations').columns(['api_owner_id', 'user_id', 'provider']).execute();
}
