import type { Kysely, Selectable } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';
import type { AppKeyTable, Database } from '../schema.js';

/** An app key as stored; `secrets` is the ciphertext of the whole body. */
export interface AppKeyRecord {
  id: string;
  ownerId: string;
  provider: string;
  appName: string;
  environment: string;
  display: Record<string, unknown>;
  secrets: string;
  keyVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** The API owner's provider applications (Leaf's app keys), one per provider, name and environment. */
export function appKeysRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toRecord = (row: Selectable<AppKeyTable>): AppKeyRecord => ({
    id: row.id,
    ownerId: row.api_owner_id,
    provider: row.provider,
    appName: row.app_name,
    environment: row.environment,
    display: dialect.parseJson<Record<string, unknown>>(row.display),
    secrets: row.secrets,
    keyVersion: Number(row.key_version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  return {
    /** Inserts; `exists` when the owner already has this provider, name and environment. */
    async insert(record: AppKeyRecord): Promise<'ok' | 'exists'> {
      try {
        await db
          .insertInto('app_keys')
          .values({
            id: record.id,
            api_owner_id: record.ownerId,
            provider: record.provider,
            app_name: record.appName,
            environment: record.environment,
            display: dialect.json(record.display),
            secrets: record.secrets,
            key_version: record.keyVersion,
            created_at: record.createdAt,
            updated_at: record.updatedAt,
          })
          .execute();
        return 'ok';
      } catch (error) {
        if (dialect.isUniqueViolation(error)) return 'exists';
        throw error;
      }
    },
    /** Replaces the body of an existing app key; false when there is none. */
    async update(ownerId: string, id: string, change: { display: Record<string, unknown>; secrets: string; keyVersion: number; updatedAt: string }): Promise<boolean> {
      const result = await db
        .updateTable('app_keys')
        .set({ display: dialect.json(change.display), secrets: change.secrets, key_version: change.keyVersion, updated_at: change.updatedAt })
        .where('api_owner_id', '=', ownerId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async find(ownerId: string, provider: string, appName: string, environment: string): Promise<AppKeyRecord | undefined> {
      const row = await db.selectFrom('app_keys').selectAll().where('api_owner_id', '=', ownerId).where('provider', '=', provider).where('app_name', '=', appName).where('environment', '=', environment).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    /** Ids of app keys encrypted under a version below `version` (key rotation). */
    async idsWithKeyVersionBelow(version: number, limit: number): Promise<string[]> {
      return (await db.selectFrom('app_keys').select('id').where('key_version', '<', version).limit(limit).execute()).map((r) => r.id);
    },
    /** Replaces the ciphertext only if it is still the one the caller decrypted (no lost update). */
    async reencrypt(id: string, previous: string, secrets: string, keyVersion: number): Promise<boolean> {
      const result = await db.updateTable('app_keys').set({ secrets, key_version: keyVersion }).where('id', '=', id).where('secrets', '=', previous).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async findById(id: string): Promise<AppKeyRecord | undefined> {
      const row = await db.selectFrom('app_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    /** The owner's app keys, of one provider when given, oldest first. */
    async list(ownerId: string, provider?: string): Promise<AppKeyRecord[]> {
      let query = db.selectFrom('app_keys').selectAll().where('api_owner_id', '=', ownerId);
      if (provider !== undefined) query = query.where('provider', '=', provider);
      return (await query.orderBy('created_at', 'asc').orderBy('id', 'asc').execute()).map(toRecord);
    },
    async delete(ownerId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('app_keys').where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type AppKeysRepository = ReturnType<typeof appKeysRepository>;
