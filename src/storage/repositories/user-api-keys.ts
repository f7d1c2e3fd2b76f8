import type { Kysely, Selectable } from 'kysely';
import type { Database, UserApiKeyTable } from '../schema.js';

/** A Leaf user's API key as stored: its hash, never the key. */
export interface UserApiKeyRecord {
  id: string;
  ownerId: string;
  userId: string;
  keyHash: string;
  keyHint: string;
  description: string | null;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

/** Leaf users' API keys (the widget's authentication, leaf-api.md 6.1). */
export function userApiKeysRepository(db: Kysely<Database>) {
  const toRecord = (row: Selectable<UserApiKeyTable>): UserApiKeyRecord => ({
    id: row.id,
    ownerId: row.api_owner_id,
    userId: row.user_id,
    keyHash: row.key_hash,
    keyHint: row.key_hint,
    description: row.description,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  });
  return {
    async insert(record: UserApiKeyRecord): Promise<void> {
      await db
        .insertInto('user_api_keys')
        .values({
          id: record.id,
          api_owner_id: record.ownerId,
          user_id: record.userId,
          key_hash: record.keyHash,
          key_hint: record.keyHint,
          description: record.description,
          expires_at: record.expiresAt,
          revoked_at: record.revokedAt,
          last_used_at: record.lastUsedAt,
          created_at: record.createdAt,
        })
        .execute();
    },
    async findByHash(keyHash: string): Promise<UserApiKeyRecord | undefined> {
      const row = await db.selectFrom('user_api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async listForUser(ownerId: string, userId: string): Promise<UserApiKeyRecord[]> {
      return (await db.selectFrom('user_api_keys').selectAll().where('api_owner_id', '=', ownerId).where('user_id', '=', userId).orderBy('created_at', 'asc').orderBy('id', 'asc').execute()).map(toRecord);
    },
    /** Sets `revoked_at` once; false when the key is not the owner's or was revoked before. */
    async revoke(ownerId: string, id: string, at: string): Promise<'revoked' | 'already' | 'not_found'> {
      const result = await db.updateTable('user_api_keys').set({ revoked_at: at }).where('api_owner_id', '=', ownerId).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (result.numUpdatedRows > 0n) return 'revoked';
      const row = await db.selectFrom('user_api_keys').select('id').where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return row === undefined ? 'not_found' : 'already';
    },
    async touch(id: string, at: string): Promise<void> {
      await db.updateTable('user_api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

export type UserApiKeysRepository = ReturnType<typeof userApiKeysRepository>;
