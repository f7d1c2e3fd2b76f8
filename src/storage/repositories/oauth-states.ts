import type { Kysely, Selectable } from 'kysely';
import type { Database, OAuthStateTable } from '../schema.js';

/** A started OAuth connection, found by the hash of its `state`. */
export interface OAuthStateRecord {
  stateHash: string;
  ownerId: string;
  magicLinkId: string;
  userId: string;
  provider: string;
  appKeyId: string;
  redirectUri: string;
  /** Ciphertext of the PKCE verifier, or null. */
  codeVerifier: string | null;
  keyVersion: number;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

/** OAuth states of Magic Link connections in flight (single use, expiring). */
export function oauthStatesRepository(db: Kysely<Database>) {
  const toRecord = (row: Selectable<OAuthStateTable>): OAuthStateRecord => ({
    stateHash: row.state_hash,
    ownerId: row.api_owner_id,
    magicLinkId: row.magic_link_id,
    userId: row.user_id,
    provider: row.provider,
    appKeyId: row.app_key_id,
    redirectUri: row.redirect_uri,
    codeVerifier: row.code_verifier,
    keyVersion: Number(row.key_version),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  });
  return {
    async insert(record: OAuthStateRecord): Promise<void> {
      await db
        .insertInto('oauth_states')
        .values({
          state_hash: record.stateHash,
          api_owner_id: record.ownerId,
          magic_link_id: record.magicLinkId,
          user_id: record.userId,
          provider: record.provider,
          app_key_id: record.appKeyId,
          redirect_uri: record.redirectUri,
          code_verifier: record.codeVerifier,
          key_version: record.keyVersion,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
          used_at: record.usedAt,
        })
        .execute();
    },
    async find(stateHash: string): Promise<OAuthStateRecord | undefined> {
      const row = await db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    /** Marks the state used, once: a compare-and-set, so a replayed callback finds it taken. */
    async consume(stateHash: string, at: string): Promise<boolean> {
      const result = await db.updateTable('oauth_states').set({ used_at: at }).where('state_hash', '=', stateHash).where('used_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Hashes of states whose PKCE verifier is encrypted under a version below `version` (key rotation). */
    async idsWithKeyVersionBelow(version: number, limit: number): Promise<string[]> {
      return (await db.selectFrom('oauth_states').select('state_hash').where('key_version', '<', version).where('code_verifier', 'is not', null).limit(limit).execute()).map((r) => r.state_hash);
    },
    /** Replaces the verifier's ciphertext only if it is still the one the caller decrypted. */
    async reencrypt(stateHash: string, previous: string, codeVerifier: string, keyVersion: number): Promise<boolean> {
      const result = await db.updateTable('oauth_states').set({ code_verifier: codeVerifier, key_version: keyVersion }).where('state_hash', '=', stateHash).where('code_verifier', '=', previous).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Deletes states that expired before `before` (kept a while after, so a replay is named as one). */
    async purgeExpired(before: string): Promise<number> {
      const result = await db.deleteFrom('oauth_states').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type OAuthStatesRepository = ReturnType<typeof oauthStatesRepository>;
