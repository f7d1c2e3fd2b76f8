import type { Kysely, Selectable } from 'kysely';
import type { Page, PageRequest } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import { preparedQuery } from '../prepared-query.js';
import type { AlertFailedCallTable, AlertOutboxTable, Database } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

/** A delivery still to make. */
export interface OutboxEntry {
  seq: number;
  eventId: string;
  ownerId: string;
  webhookId: string;
  eventType: string;
  /** The exact bytes to send. */
  body: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

export type NewOutboxEntry = Omit<OutboxEntry, 'seq' | 'attempts' | 'lastError'>;

/** A delivery given up, as Leaf's failed-calls list shows it (leaf-api.md 5.3) plus what Furrow knows. */
export interface FailedCallRecord {
  id: string;
  ownerId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  url: string;
  status: number | null;
  response: string | null;
  requestBody: string;
  connectionError: string | null;
  attempts: number;
  createdAt: string;
}

/** The owner's email, which Leaf shows as `apiOwner`. */
export type FailedCallWithOwner = FailedCallRecord & { ownerEmail: string };

/** Rows one drain pass reads at a time. */
export const OUTBOX_BATCH = 100;

/**
 * The alert outbox (SPEC section 9). Inserts run in the caller's unit of work, so a delivery exists
 * exactly when the change that raised it committed; the drain reads it in `seq` order per webhook.
 */
export function alertOutboxRepository(db: Kysely<Database>, _dialect: StorageDialect) {
  const toEntry = (row: Selectable<AlertOutboxTable>): OutboxEntry => ({
    seq: Number(row.seq),
    eventId: row.event_id,
    ownerId: row.api_owner_id,
    webhookId: row.webhook_id,
    eventType: row.event_type,
    body: row.body,
    createdAt: row.created_at,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
  });
  const toFailedCall = (row: Selectable<AlertFailedCallTable> & { email: string }): FailedCallWithOwner => ({
    id: row.id,
    ownerId: row.api_owner_id,
    ownerEmail: row.email,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    url: row.url,
    status: row.status === null ? null : Number(row.status),
    response: row.response,
    requestBody: row.request_body,
    connectionError: row.connection_error,
    attempts: Number(row.attempts),
    createdAt: row.created_at,
  });
  // The drain's read, once per batch of deliveries.
  const headOf = preparedQuery(db, 1, (webhookId: string) => db.selectFrom('alert_outbox').selectAll().where('webhook_id', '=', webhookId).orderBy('seq', 'asc').limit(OUTBOX_BATCH));

  return {
    async insert(uow: UnitOfWork, entry: NewOutboxEntry): Promise<void> {
      await uow.db
        .insertInto('alert_outbox')
        .values({
          event_id: entry.eventId,
          api_owner_id: entry.ownerId,
          webhook_id: entry.webhookId,
          event_type: entry.eventType,
          body: entry.body,
          created_at: entry.createdAt,
          attempts: 0,
          next_attempt_at: entry.nextAttemptAt,
        })
        .execute();
    },
    /** The webhook's next deliveries, oldest first. */
    async head(webhookId: string): Promise<OutboxEntry[]> {
      return (await headOf(webhookId)).map(toEntry);
    },
    async deleteDelivered(seqs: number[]): Promise<void> {
      if (seqs.length === 0) return;
      await db.deleteFrom('alert_outbox').where('seq', 'in', seqs).execute();
    },
    /** Records a failed attempt that will be retried at `nextAttemptAt`. */
    async postpone(seq: number, attempts: number, nextAttemptAt: string, lastError: string): Promise<void> {
      await db.updateTable('alert_outbox').set({ attempts, next_attempt_at: nextAttemptAt, last_error: lastError }).where('seq', '=', seq).execute();
    },
    /** Gives a delivery up: its outbox row becomes a failed-call record, in one transaction. */
    async giveUp(seq: number, call: FailedCallRecord): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const deleted = await trx.deleteFrom('alert_outbox').where('seq', '=', seq).executeTakeFirst();
        // Deleted meanwhile (its webhook was): nothing to record.
        if (deleted.numDeletedRows === 0n) return;
        await trx
          .insertInto('alert_failed_calls')
          .values({
            id: call.id,
            api_owner_id: call.ownerId,
            webhook_id: call.webhookId,
            event_id: call.eventId,
            event_type: call.eventType,
            url: call.url,
            status: call.status,
            response: call.response,
            request_body: call.requestBody,
            connection_error: call.connectionError,
            attempts: call.attempts,
            created_at: call.createdAt,
          })
          .execute();
      });
    },
    /**
     * Webhooks whose oldest delivery is due and whose drain lease is free: what the sweeper wakes
     * when a wake-up was lost (a process died between commit and enqueue, or during a drain).
     */
    async dueWebhooks(now: string, limit: number): Promise<string[]> {
      const rows = await db
        .selectFrom('alert_outbox as o')
        .innerJoin('alert_webhooks as w', 'w.id', 'o.webhook_id')
        .select('o.webhook_id')
        .where('o.seq', 'in', (eb) => eb.selectFrom('alert_outbox').select((e) => e.fn.min<number | string>('seq').as('first')).groupBy('webhook_id'))
        .where('o.next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('w.drain_owner', 'is', null), eb('w.drain_until', '<', now)]))
        .limit(limit)
        .execute();
      return rows.map((r) => r.webhook_id);
    },
    /** The owner's failed calls, newest first. */
    async listFailedCalls(ownerId: string, page: PageRequest): Promise<Page<FailedCallWithOwner>> {
      const base = db.selectFrom('alert_failed_calls').where('alert_failed_calls.api_owner_id', '=', ownerId);
      const counted = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      const direction = page.sort[0]?.direction ?? 'desc';
      const rows = await base
        .innerJoin('api_owners', 'api_owners.id', 'alert_failed_calls.api_owner_id')
        .selectAll('alert_failed_calls')
        .select('api_owners.email')
        .orderBy('alert_failed_calls.created_at', direction)
        .orderBy('alert_failed_calls.id', direction)
        .limit(page.size)
        .offset(page.page * page.size)
        .execute();
      return { total: Number(counted.n), items: rows.map(toFailedCall) };
    },
    /** Deletes failed-call records older than `before`; returns how many. */
    async purgeFailedCallsBefore(before: string): Promise<number> {
      const result = await db.deleteFrom('alert_failed_calls').where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
export type AlertOutboxRepository = ReturnType<typeof alertOutboxRepository>;
