import type { Kysely } from 'kysely';
import type { CredentialEvent, Page, PageRequest } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

/** The events log of credentials: provider exchanges and status changes, kept 30 days. */
export function credentialEventsRepository(db: Kysely<Database>, dialect: StorageDialect) {
  async function appendAll(entries: readonly { ownerId: string; event: CredentialEvent }[], uow?: UnitOfWork): Promise<void> {
    if (entries.length === 0) return;
    await (uow?.db ?? db)
      .insertInto('credential_events')
      .values(
        entries.map(({ ownerId, event: e }) => ({
          id: e.id,
          credential_id: e.credentialId,
          api_owner_id: ownerId,
          kind: e.kind,
          status_code: e.statusCode,
          headers: dialect.json(e.headers),
          body: e.body,
          created_at: e.createdDate,
        })),
      )
      .execute();
  }
  return {
    async append(ownerId: string, events: CredentialEvent[], uow?: UnitOfWork): Promise<void> {
      await appendAll(events.map((event) => ({ ownerId, event })), uow);
    },
    /** Events of several credentials (of any owners) with one statement. */
    appendAll,
    /** Newest first. */
    async list(ownerId: string, credentialId: string, page: PageRequest): Promise<Page<CredentialEvent>> {
      const base = db.selectFrom('credential_events').where('api_owner_id', '=', ownerId).where('credential_id', '=', credentialId);
      const counted = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      const direction = page.sort[0]?.direction ?? 'desc';
      const rows = await base.selectAll().orderBy('created_at', direction).orderBy('id', direction).limit(page.size).offset(page.page * page.size).execute();
      return {
        total: Number(counted.n),
        items: rows.map((r) => ({
          id: r.id,
          credentialId: r.credential_id,
          kind: r.kind as CredentialEvent['kind'],
          createdDate: r.created_at,
          statusCode: r.status_code === null ? null : Number(r.status_code),
          headers: dialect.parseJson<Record<string, string>>(r.headers),
          body: r.body,
        })),
      };
    },
    async deleteForCredential(credentialId: string): Promise<void> {
      await db.deleteFrom('credential_events').where('credential_id', '=', credentialId).execute();
    },
    /** Deletes events older than `before`; returns how many. */
    async purgeOlderThan(before: string): Promise<number> {
      const result = await db.deleteFrom('credential_events').where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
export type CredentialEventsRepository = ReturnType<typeof credentialEventsRepository>;
