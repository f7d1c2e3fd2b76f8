import type { Kysely, Transaction } from 'kysely';
import { parseStoredConfiguration, type ConfigurationOverrides } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database } from '../schema.js';

/** Computes the next overrides from the current ones; runs while the row is locked. */
export type ConfigurationChange = (current: ConfigurationOverrides) => ConfigurationOverrides;

/**
 * API-owner and Leaf-user configuration overrides (only the keys each level set). Every method is
 * scoped by API owner, so another owner's users have no configuration here.
 *
 * Changes are read-modify-write, so each runs in a transaction whose first statement is a write
 * (an upsert that creates the row if missing and otherwise touches it): in PostgreSQL that takes the
 * row lock, in SQLite the database write lock, so two concurrent PATCHes never lose each other's
 * keys, with no dialect-specific locking.
 */
export function configurationsRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const read = (settings: unknown) => parseStoredConfiguration(dialect.parseJson<unknown>(settings));

  async function changeOwner(trx: Transaction<Database>, ownerId: string, now: string, change: ConfigurationChange): Promise<ConfigurationOverrides> {
    await trx
      .insertInto('owner_configurations')
      .values({ api_owner_id: ownerId, settings: dialect.json({}), updated_at: now })
      .onConflict((oc) => oc.column('api_owner_id').doUpdateSet({ updated_at: now }))
      .execute();
    const row = await trx.selectFrom('owner_configurations').select('settings').where('api_owner_id', '=', ownerId).executeTakeFirstOrThrow();
    const next = change(read(row.settings));
    await trx.updateTable('owner_configurations').set({ settings: dialect.json(next) }).where('api_owner_id', '=', ownerId).execute();
    return next;
  }

  async function changeUser(trx: Transaction<Database>, ownerId: string, userId: string, now: string, change: ConfigurationChange): Promise<ConfigurationOverrides> {
    await trx
      .insertInto('user_configurations')
      .values({ user_id: userId, api_owner_id: ownerId, settings: dialect.json({}), created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ updated_at: now }).where('user_configurations.api_owner_id', '=', ownerId))
      .execute();
    const row = await trx.selectFrom('user_configurations').select('settings').where('api_owner_id', '=', ownerId).where('user_id', '=', userId).executeTakeFirstOrThrow();
    const next = change(read(row.settings));
    await trx.updateTable('user_configurations').set({ settings: dialect.json(next) }).where('api_owner_id', '=', ownerId).where('user_id', '=', userId).execute();
    return next;
  }

  return {
    /** The owner's overrides; `{}` when the owner never changed a value. */
    async getOwner(ownerId: string): Promise<ConfigurationOverrides> {
      const row = await db.selectFrom('owner_configurations').select('settings').where('api_owner_id', '=', ownerId).executeTakeFirst();
      return row === undefined ? {} : read(row.settings);
    },
    /** Applies `change` to the owner's overrides atomically and returns the stored result. */
    async updateOwner(ownerId: string, now: string, change: ConfigurationChange): Promise<ConfigurationOverrides> {
      return db.transaction().execute((trx) => changeOwner(trx, ownerId, now, change));
    },
    /** The user's overrides; `undefined` when the user has no configuration (inherits everything). */
    async getUser(ownerId: string, userId: string): Promise<ConfigurationOverrides | undefined> {
      const row = await db.selectFrom('user_configurations').select('settings').where('api_owner_id', '=', ownerId).where('user_id', '=', userId).executeTakeFirst();
      return row === undefined ? undefined : read(row.settings);
    },
    /** Creates the user's configuration; `'exists'` when the user already has one. */
    async insertUser(ownerId: string, userId: string, overrides: ConfigurationOverrides, now: string): Promise<'ok' | 'exists'> {
      try {
        await db
          .insertInto('user_configurations')
          .values({ user_id: userId, api_owner_id: ownerId, settings: dialect.json(overrides), created_at: now, updated_at: now })
          .execute();
        return 'ok';
      } catch (error) {
        if (dialect.isUniqueViolation(error)) return 'exists';
        throw error;
      }
    },
    /** Applies `change` to the user's overrides atomically, creating the configuration if missing. */
    async updateUser(ownerId: string, userId: string, now: string, change: ConfigurationChange): Promise<ConfigurationOverrides> {
      return db.transaction().execute((trx) => changeUser(trx, ownerId, userId, now, change));
    },
    /** Removes the user's configuration; false when there was none. */
    async deleteUser(ownerId: string, userId: string): Promise<boolean> {
      const result = await db.deleteFrom('user_configurations').where('api_owner_id', '=', ownerId).where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
export type ConfigurationsRepository = ReturnType<typeof configurationsRepository>;
