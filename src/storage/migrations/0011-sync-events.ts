import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Provider event subscriptions (issue 5): each credential's subscription token, made once. The
 * SHA-256 of the token finds and verifies a delivery without the key ring; the token itself is
 * kept sealed with the secret box because it is sent again whenever a newly connected organization
 * needs its own subscription.
 */
export async function up(db: Kysely<unknown>, _dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('provider_event_tokens')
    .addColumn('credential_id', 'text', (c) => c.primaryKey().references('credentials.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // Secret-box ciphertext of the token, sealed with the credential id as additional data.
    .addColumn('token_secret', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // What the last successful check covered (a hash of the callback URL and the organizations) and
    // when: a sync with the same organizations skips listing the subscriptions again for a while.
    .addColumn('subscribed_key', 'text')
    .addColumn('checked_at', 'text')
    .execute();
}
