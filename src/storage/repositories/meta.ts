import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Small facts about the installation itself (the master-key check). */
export function metaRepository(db: Kysely<Database>) {
  return {
    async get(key: string): Promise<string | undefined> {
      const row = await db.selectFrom('furrow_meta').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    /** Replaces the value only if it is still `expected`; true when it did. */
    async compareAndSet(key: string, expected: string, value: string): Promise<boolean> {
      const result = await db.updateTable('furrow_meta').set({ value }).where('key', '=', key).where('value', '=', expected).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Sets the value only if the key is absent; returns the value that is stored afterwards. */
    async setIfAbsent(key: string, value: string): Promise<string> {
      await db.insertInto('furrow_meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
      const row = await db.selectFrom('furrow_meta').select('value').where('key', '=', key).executeTakeFirstOrThrow();
      return row.value;
    },
  };
}
export type MetaRepository = ReturnType<typeof metaRepository>;
