import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Magic Link and the widget (SPEC section 10): the API owner's provider applications (app keys),
 * Leaf users' API keys for the widget, the links, and the OAuth states of connections in flight.
 */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('app_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('app_name', 'text', (c) => c.notNull())
    // STAGE or PRODUCTION; PRODUCTION for providers with one environment, so the key below is total.
    .addColumn('environment', 'text', (c) => c.notNull())
    // The body's public properties (client ids, scopes), shown on GET.
    .addColumn('display', dialect.jsonType, (c) => c.notNull())
    // The whole body, AES-256-GCM with the row's natural key as additional data (keys/secret-box.ts).
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('app_keys_natural_key', ['api_owner_id', 'provider', 'app_name', 'environment'])
    .execute();

  await db.schema
    .createTable('user_api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // SHA-256 of the key (hex): the key is 256 random bits, so no salt or slow hash is needed.
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    // The prefix and last characters, for the masked listing.
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_api_keys_owner_user').on('user_api_keys').columns(['api_owner_id', 'user_id', 'created_at']).execute();

  await db.schema
    .createTable('magic_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // PROVIDER, AUTHENTICATION or FILEUPLOAD (Leaf's `widget`).
    .addColumn('widget', 'text', (c) => c.notNull())
    .addColumn('allowed_providers', dialect.jsonType)
    .addColumn('provider', 'text')
    .addColumn('settings', dialect.jsonType, (c) => c.notNull())
    .addColumn('max_usage', 'integer', (c) => c.notNull())
    .addColumn('usage_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('last_accessed_at', 'text')
    // A deleted link stays as a tombstone until it expires, so its page can say "deleted".
    .addColumn('deleted_at', 'text')
    // Widget sessions only: the app page the grower returns to after a provider's consent page.
    .addColumn('return_url', 'text')
    .execute();
  await db.schema.createIndex('magic_links_owner_widget').on('magic_links').columns(['api_owner_id', 'widget', 'created_at']).execute();

  await db.schema
    .createTable('oauth_states')
    // SHA-256 of the state (hex): the state travels through the browser and the provider's logs.
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('magic_link_id', 'text', (c) => c.notNull().references('magic_links.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('app_key_id', 'text', (c) => c.notNull().references('app_keys.id').onDelete('cascade'))
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    // The PKCE verifier, encrypted like any secret; null when the provider takes no PKCE.
    .addColumn('code_verifier', 'text')
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('oauth_states_expires').on('oauth_states').columns(['expires_at']).execute();
}
