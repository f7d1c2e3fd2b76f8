import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedQuery } from './prepared-query.js';
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
