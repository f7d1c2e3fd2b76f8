import type { Kysely, Selectable } from 'kysely';
import type { Page, PageRequest } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import { preparedQuery } from '../prepared-query.js';
import type { AlertWebhookTable, Database } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

/** A webhook as stored; `secret` is the ciphertext. */
export interface AlertWebhookRecord {
  id: string;
  ownerId: string;
  name: string;
  url: string;
  events: string[];
  secret: string;
  keyVersion: number;
  createdAt: string;
}

export const WEBHOOK_SORT_FIELDS = ['createdTime', 'name', 'id'] as const;
export type WebhookSortField = (typeof WEBHOOK_SORT_FIELDS)[number];
const COLUMN_BY_SORT: Record<WebhookSortField, 'created_at' | 'name' | 'id'> = { createdTime: 'created_at', name: 'name', id: 'id' };

/**
 * Alert webhooks, their event registrations and the drain lease that keeps one process at a time
 * delivering a webhook's outbox. Methods named `…ForOwner` are scoped by API owner.
 */
export function alertWebhooksRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toRecord = (row: Selectable<AlertWebhookTable>): AlertWebhookRecord => ({
    id: row.id,
    ownerId: row.api_owner_id,
    name: row.name,
    url: row.url,
    events: dialect.parseJson<string[]>(row.events),
    secret: row.secret,
    keyVersion: Number(row.key_version),
    createdAt: row.created_at,
  });
  const byId = preparedQuery(db, 1, (id: string) => db.selectFrom('alert_webhooks').selectAll().where('id', '=', id));

  return {
    /** Inserts the webhook and one registration per event; a taken event fails with a unique violation (`isEventTaken`). */
    async insert(uow: UnitOfWork, record: AlertWebhookRecord): Promise<void> {
      await uow.db
        .insertInto('alert_webhooks')
        .values({
          id: record.id,
          api_owner_id: record.ownerId,
          name: record.name,
          url: record.url,
          events: dialect.json(record.events),
          secret: record.secret,
          key_version: record.keyVersion,
          drain_requested: 0,
          created_at: record.createdAt,
        })
        .execute();
      await uow.db
        .insertInto('alert_webhook_events')
        .values(record.events.map((event) => ({ api_owner_id: record.ownerId, event_type: event, webhook_id: record.id })))
        .execute();
    },
    /** True when `insert` failed because another webhook of the owner registered one of the events meanwhile. */
    isEventTaken(error: unknown): boolean {
      return dialect.isUniqueViolation(error);
    },
    /** Which of `events` the owner's webhooks already listen to, and which webhook does. */
    async takenEvents(uow: UnitOfWork, ownerId: string, events: string[]): Promise<{ event: string; webhookId: string }[]> {
      if (events.length === 0) return [];
      const rows = await uow.db.selectFrom('alert_webhook_events').select(['event_type', 'webhook_id']).where('api_owner_id', '=', ownerId).where('event_type', 'in', events).execute();
      return rows.map((r) => ({ event: r.event_type, webhookId: r.webhook_id }));
    },
    /** The webhook listening to `eventType` for the owner, if any (at most one, by the registration rule). */
    async subscriberOf(uow: UnitOfWork, ownerId: string, eventType: string): Promise<{ id: string } | undefined> {
      const row = await uow.db.selectFrom('alert_webhook_events').select('webhook_id').where('api_owner_id', '=', ownerId).where('event_type', '=', eventType).executeTakeFirst();
      return row === undefined ? undefined : { id: row.webhook_id };
    },
    async findForOwner(ownerId: string, id: string): Promise<AlertWebhookRecord | undefined> {
      const [row] = await byId(id);
      return row === undefined || row.api_owner_id !== ownerId ? undefined : toRecord(row);
    },
    async findById(id: string): Promise<AlertWebhookRecord | undefined> {
      const [row] = await byId(id);
      return row === undefined ? undefined : toRecord(row);
    },
    async listForOwner(ownerId: string, page: PageRequest<WebhookSortField>): Promise<Page<AlertWebhookRecord>> {
      const base = db.selectFrom('alert_webhooks').where('api_owner_id', '=', ownerId);
      const counted = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = base.selectAll();
      for (const s of page.sort) rows = rows.orderBy(COLUMN_BY_SORT[s.field], s.direction);
      rows = rows.orderBy('id', 'asc').limit(page.size).offset(page.page * page.size);
      return { total: Number(counted.n), items: (await rows.execute()).map(toRecord) };
    },
    /** Deletes the webhook with its registrations and pending deliveries (ON DELETE CASCADE). */
    async deleteForOwner(ownerId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('alert_webhooks').where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** Takes the drain lease if nobody holds an unexpired one (compare-and-set: one winner). */
    async tryAcquireDrain(id: string, owner: string, now: string, until: string): Promise<boolean> {
      const result = await db
        .updateTable('alert_webhooks')
        .set({ drain_owner: owner, drain_until: until, drain_requested: 0 })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('drain_owner', 'is', null), eb('drain_until', '<', now)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Asks the live holder to look again before letting go; false when nobody holds the lease. */
    async requestDrain(id: string, now: string): Promise<boolean> {
      const result = await db
        .updateTable('alert_webhooks')
        .set({ drain_requested: 1 })
        .where('id', '=', id)
        .where('drain_owner', 'is not', null)
        .where('drain_until', '>=', now)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** The holder's "I am looking now": requests made before this are served by the pass that follows. */
    async clearDrainRequest(id: string, owner: string): Promise<void> {
      await db.updateTable('alert_webhooks').set({ drain_requested: 0 }).where('id', '=', id).where('drain_owner', '=', owner).execute();
    },
    /** Extends the lease while still held; false when it was lost. */
    async renewDrain(id: string, owner: string, until: string): Promise<boolean> {
      const result = await db.updateTable('alert_webhooks').set({ drain_until: until }).where('id', '=', id).where('drain_owner', '=', owner).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /**
     * Lets go of the lease. With `unlessRequested`, only if no drain asked meanwhile: false then,
     * and the holder must look again (the asker has already gone, trusting it to).
     */
    async releaseDrain(id: string, owner: string, unlessRequested: boolean): Promise<boolean> {
      let query = db.updateTable('alert_webhooks').set({ drain_owner: null, drain_until: null }).where('id', '=', id).where('drain_owner', '=', owner);
      if (unlessRequested) query = query.where('drain_requested', '=', 0);
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
export type AlertWebhooksRepository = ReturnType<typeof alertWebhooksRepository>;
