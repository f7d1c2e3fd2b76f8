import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** A credential's subscription token as stored: its hash, and the token sealed by the secret box. */
export interface ProviderEventTokenRow {
  credentialId: string;
  tokenHash: string;
  tokenSecret: string;
  keyVersion: number;
  createdAt: string;
  /** What the last successful subscription check covered, and when (null before the first). */
  subscribedKey: string | null;
  checkedAt: string | null;
}

/** Provider event subscription tokens, one per credential (migration 0011). */
export function providerEventTokensRepository(db: Kysely<Database>) {
  const toRow = (r: Database['provider_event_tokens']): ProviderEventTokenRow => ({ credentialId: r.credential_id, tokenHash: r.token_hash, tokenSecret: r.token_secret, keyVersion: r.key_version, createdAt: r.created_at, subscribedKey: r.subscribed_key, checkedAt: r.checked_at });
  return {
    async findByCredential(credentialId: string): Promise<ProviderEventTokenRow | undefined> {
      const row = await db.selectFrom('provider_event_tokens').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
      return row === undefined ? undefined : toRow(row);
    },
    async findByHash(tokenHash: string): Promise<ProviderEventTokenRow | undefined> {
      const row = await db.selectFrom('provider_event_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row === undefined ? undefined : toRow(row);
    },
    /**
     * Stores the credential's token unless it has one; returns the row that is stored afterwards,
     * so two syncs making a token at once both end up sending the same one.
     */
    async insertIfAbsent(row: Omit<ProviderEventTokenRow, 'subscribedKey' | 'checkedAt'>): Promise<ProviderEventTokenRow> {
      await db
        .insertInto('provider_event_tokens')
        .values({ credential_id: row.credentialId, token_hash: row.tokenHash, token_secret: row.tokenSecret, key_version: row.keyVersion, created_at: row.createdAt })
        .onConflict((oc) => oc.column('credential_id').doNothing())
        .execute();
      const stored = await db.selectFrom('provider_event_tokens').selectAll().where('credential_id', '=', row.credentialId).executeTakeFirstOrThrow();
      return toRow(stored);
    },
    /** For `furrow keys rotate`: credentials whose token is sealed under an older key version. */
    async idsWithKeyVersionBelow(version: number, limit: number): Promise<string[]> {
      return (await db.selectFrom('provider_event_tokens').select('credential_id').where('key_version', '<', version).limit(limit).execute()).map((r) => r.credential_id);
    },
    /** Replaces the sealed token only if it is still the one the caller decrypted (no lost update). */
    async reencrypt(credentialId: string, previous: string, tokenSecret: string, keyVersion: number): Promise<boolean> {
      const result = await db.updateTable('provider_event_tokens').set({ token_secret: tokenSecret, key_version: keyVersion }).where('credential_id', '=', credentialId).where('token_secret', '=', previous).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async markChecked(credentialId: string, subscribedKey: string, checkedAt: string): Promise<void> {
      await db.updateTable('provider_event_tokens').set({ subscribed_key: subscribedKey, checked_at: checkedAt }).where('credential_id', '=', credentialId).execute();
    },
  };
}
export type ProviderEventTokensRepository = ReturnType<typeof providerEventTokensRepository>;
