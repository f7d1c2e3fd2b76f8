import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedLookup, preparedQuery } from './prepared-query.js';
import { openTestStorage, testDatabases } from './testing/test-databases.js';
import type { Storage } from './database.js';

const databases = await testDatabases();

describe.each(databases)('preparedQuery on $name', (database) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await openTestStorage(database);
    const now = new Date().toISOString();
    await storage.db.insertInto('api_owners').values([
      { id: 'o1', email: 'a@example.com', password_hash: 'x', created_at: now },
      { id: 'o2', email: 'b@example.com', password_hash: 'x', created_at: now },
    ]).execute();
  });
  afterAll(async () => storage?.close());

  it('binds each call\'s arguments where the builder used them, in any order', async () => {
    const { db } = storage;
    const byEmailThenId = preparedQuery(db, 2, (email: string, id: string) =>
      db.selectFrom('api_owners').select('id').where('id', '=', id).where('email', '=', email),
    );
    expect(await byEmailThenId('a@example.com', 'o1')).toEqual([{ id: 'o1' }]);
    expect(await byEmailThenId('b@example.com', 'o2')).toEqual([{ id: 'o2' }]);
    expect(await byEmailThenId('a@example.com', 'o2')).toEqual([]);
  });

  it('keeps the builder\'s own constants and allows an argument twice', async () => {
    const { db } = storage;
    const either = preparedQuery(db, 1, (id: string) =>
      db.selectFrom('api_owners').select('id').where((eb) => eb.or([eb('id', '=', id), eb('email', '=', id)])).where('password_hash', '=', 'x').orderBy('id'),
    );
    expect(await either('o2')).toEqual([{ id: 'o2' }]);
    expect(await either('a@example.com')).toEqual([{ id: 'o1' }]);
  });
});

describe.each(databases)('preparedLookup on $name', (database) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await openTestStorage(database);
  });
  afterAll(async () => storage?.close());

  it('reads what was committed, binding arguments like preparedQuery', async () => {
    const { db, dialect } = storage;
    const byEmail = preparedLookup(db, dialect, 1, (email: string) => db.selectFrom('api_owners').select(['id', 'email']).where('email', '=', email));
    expect(await byEmail('c@example.com')).toEqual([]);
    await db.insertInto('api_owners').values({ id: 'o3', email: 'c@example.com', password_hash: 'x', created_at: new Date().toISOString() }).execute();
    expect(await byEmail('c@example.com')).toEqual([{ id: 'o3', email: 'c@example.com' }]);
    await db.updateTable('api_owners').set({ email: 'd@example.com' }).where('id', '=', 'o3').execute();
    expect(await byEmail('c@example.com')).toEqual([]);
  });

  it('does not see a transaction that has not committed', async () => {
    const { db, dialect } = storage;
    const byId = preparedLookup(db, dialect, 1, (id: string) => db.selectFrom('api_owners').select('id').where('id', '=', id));
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('api_owners').values({ id: 'o4', email: 'e@example.com', password_hash: 'x', created_at: new Date().toISOString() }).execute();
      // SQLite reads on its own read-only connection; PostgreSQL on another pooled connection.
      expect(await byId('o4')).toEqual([]);
    });
    expect(await byId('o4')).toEqual([{ id: 'o4' }]);
  });
});
