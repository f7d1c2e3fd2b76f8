import type { Kysely } from 'kysely';
import type { ApiOwner } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database } from '../schema.js';

export function apiOwnersRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toOwner = (row: { id: string; email: string; created_at: string }): ApiOwner => ({ id: row.id, email: row.email, createdTime: row.created_at });
  return {
    /** Inserts an owner; `false` when the email is taken. */
    async insert(owner: { id: string; email: string; passwordHash: string; createdAt: string }): Promise<boolean> {
      try {
        await db.insertInto('api_owners').values({ id: owner.id, email: owner.email, password_hash: owner.passwordHash, created_at: owner.createdAt }).execute();
        return true;
      } catch (error) {
        if (dialect.isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async findByEmail(email: string): Promise<(ApiOwner & { passwordHash: string }) | undefined> {
      const row = await db.selectFrom('api_owners').selectAll().where('email', '=', email).executeTakeFirst();
      return row === undefined ? undefined : { ...toOwner(row), passwordHash: row.password_hash };
    },
    async findById(id: string): Promise<ApiOwner | undefined> {
      const row = await db.selectFrom('api_owners').select(['id', 'email', 'created_at']).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toOwner(row);
    },
    async count(): Promise<number> {
      const row = await db.selectFrom('api_owners').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
export type ApiOwnersRepository = ReturnType<typeof apiOwnersRepository>;
