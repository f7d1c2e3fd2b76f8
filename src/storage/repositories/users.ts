import type { Kysely, Selectable } from 'kysely';
import type { CredentialRecord, LeafUser, LeafUserFields, Page, PageRequest, UserFilter, UserSortField } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { CredentialTable, Database, UserTable } from '../schema.js';
import { credentialRecordOf } from './credentials.js';
import { preparedLookup } from '../prepared-query.js';

const COLUMN_BY_SORT: Record<UserSortField, 'id' | 'name' | 'email' | 'external_id' | 'created_at' | 'updated_at'> = {
  id: 'id',
  name: 'name',
  email: 'email',
  externalId: 'external_id',
  createdTime: 'created_at',
  updatedTime: 'updated_at',
};

function toUser(row: Selectable<UserTable>): LeafUser {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    address: row.address,
    externalId: row.external_id,
    createdTime: row.created_at,
    updatedTime: row.updated_at,
  };
}

/** Leaf users; every method is scoped by API owner, so another owner's ids are simply absent. */
export function usersRepository(db: Kysely<Database>, dialect: StorageDialect) {
  // The point lookup behind GET /users/{id} and every per-user route: compiled once.
  const getById = preparedLookup(db, dialect, 2, (ownerId: string, id: string) =>
    db.selectFrom('users').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id),
  );
  // GET /users/{id} answers with the user's credentials too: one read for both, since on SQLite
  // each statement costs a read transaction of its own. The join is on the user id alone, so it
  // uses the (user_id, provider) index; the user row is already scoped to its owner, and so are
  // its credentials.
  const credentialColumns = [
    'id', 'api_owner_id', 'user_id', 'provider', 'environment', 'status', 'status_reason', 'consecutive_failures', 'display', 'secrets',
    'key_version', 'access_expires_at', 'scopes', 'last_refresh_at', 'last_sync_time', 'refresh_lease_owner', 'refresh_lease_until', 'created_at', 'updated_at',
  ] as const;
  const withCredentials = preparedLookup(db, dialect, 2, (ownerId: string, id: string) =>
    db
      .selectFrom('users')
      .leftJoin('credentials', 'credentials.user_id', 'users.id')
      .selectAll('users')
      .select(credentialColumns.map((c) => `credentials.${c} as credential_${c}` as const))
      .where('users.api_owner_id', '=', ownerId)
      .where('users.id', '=', id),
  );
  return {
    /** The user and all its credentials, or `undefined` when the owner has no such user. */
    async getWithCredentials(ownerId: string, id: string): Promise<{ user: LeafUser; credentials: CredentialRecord[] } | undefined> {
      const rows = (await withCredentials(ownerId, id)) as unknown as Record<string, unknown>[];
      if (rows.length === 0) return undefined;
      const credentials = rows
        .filter((row) => row.credential_id !== null)
        .map((row) => credentialRecordOf(Object.fromEntries(credentialColumns.map((c) => [c, row[`credential_${c}`]])) as unknown as Selectable<CredentialTable>, dialect));
      return { user: toUser(rows[0] as unknown as Selectable<UserTable>), credentials };
    },
    async list(ownerId: string, filter: UserFilter, pageRequest: PageRequest<UserSortField>): Promise<Page<LeafUser>> {
      let query = db.selectFrom('users').where('api_owner_id', '=', ownerId);
      if (filter.email !== undefined) query = query.where('email', '=', filter.email);
      if (filter.name !== undefined) query = query.where('name', '=', filter.name);
      if (filter.externalId !== undefined) query = query.where('external_id', '=', filter.externalId);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of pageRequest.sort) rows = rows.orderBy(COLUMN_BY_SORT[s.field], s.direction);
      // The id makes the order total, so pages never repeat or skip rows with equal sort keys.
      rows = rows.orderBy('id', 'asc').limit(pageRequest.size).offset(pageRequest.page * pageRequest.size);
      return { items: (await rows.execute()).map(toUser), total: Number(counted.n) };
    },
    async get(ownerId: string, id: string): Promise<LeafUser | undefined> {
      const [row] = await getById(ownerId, id);
      return row === undefined ? undefined : toUser(row);
    },
    /** Inserts a user; `'external_id_taken'` when the owner already has that externalId. */
    async insert(ownerId: string, user: LeafUser): Promise<'ok' | 'external_id_taken'> {
      try {
        await db
          .insertInto('users')
          .values({
            id: user.id,
            api_owner_id: ownerId,
            name: user.name,
            email: user.email,
            phone: user.phone,
            address: user.address,
            external_id: user.externalId,
            created_at: user.createdTime,
            updated_at: user.updatedTime,
          })
          .execute();
        return 'ok';
      } catch (error) {
        if (dialect.isUniqueViolation(error)) return 'external_id_taken';
        throw error;
      }
    },
    /** Writes the given fields; `'not_found'` when the owner has no such user. */
    async update(ownerId: string, id: string, fields: Partial<LeafUserFields>, updatedAt: string): Promise<'ok' | 'not_found' | 'external_id_taken'> {
      const set: Record<string, string | null> = { updated_at: updatedAt };
      if (fields.name !== undefined) set.name = fields.name;
      if (fields.email !== undefined) set.email = fields.email;
      if (fields.phone !== undefined) set.phone = fields.phone;
      if (fields.address !== undefined) set.address = fields.address;
      if (fields.externalId !== undefined) set.external_id = fields.externalId;
      try {
        const result = await db.updateTable('users').set(set).where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
        return result.numUpdatedRows > 0n ? 'ok' : 'not_found';
      } catch (error) {
        if (dialect.isUniqueViolation(error)) return 'external_id_taken';
        throw error;
      }
    },
    async delete(ownerId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('users').where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
export type UsersRepository = ReturnType<typeof usersRepository>;
