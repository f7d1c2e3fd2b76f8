import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Alerts (SPEC section 9): webhooks, the one-webhook-per-event-type rule, the outbox of deliveries
 * still to make, and the record of those that failed for good.
 */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('alert_webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    // The event names as registered, in the order given.
    .addColumn('events', dialect.jsonType, (c) => c.notNull())
    // AES-256-GCM with the row's identity as additional data (keys/secret-box.ts); never returned.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    // The drain lease: whoever holds an unexpired one is the only process delivering this
    // webhook's outbox, which is what keeps its deliveries in order. `drain_requested` is set by a
    // drain that found the lease taken, so the holder looks again before letting go.
    .addColumn('drain_owner', 'text')
    .addColumn('drain_until', 'text')
    .addColumn('drain_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_webhooks_owner_created').on('alert_webhooks').columns(['api_owner_id', 'created_at', 'id']).execute();

  // One webhook per event type per API owner (leaf-api.md 5.1, `eventRegisteredTwice`): the primary
  // key makes two concurrent registrations of one event fail instead of both succeeding.
  await db.schema
    .createTable('alert_webhook_events')
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('alert_webhooks.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('alert_webhook_events_pkey', ['api_owner_id', 'event_type'])
    .execute();
  await db.schema.createIndex('alert_webhook_events_webhook').on('alert_webhook_events').columns(['webhook_id']).execute();

  // The outbox: one row per delivery still to make, written in the transaction of the change that
  // raised it, deleted once delivered or given up (then a failed-call row is written).
  await db.schema
    .createTable('alert_outbox')
    .addColumn('seq', dialect.serialKey.type, (c) => (dialect.serialKey.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('alert_webhooks.id').onDelete('cascade'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The exact bytes sent (ASCII), fixed at emission, so every attempt signs the same body.
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('alert_outbox_webhook_seq').on('alert_outbox').columns(['webhook_id', 'seq']).execute();

  // Leaf's failed calls (leaf-api.md 5.3). No reference to the webhook: the record outlives it.
  await db.schema
    .createTable('alert_failed_calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('response', 'text')
    .addColumn('request_body', 'text', (c) => c.notNull())
    .addColumn('connection_error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_failed_calls_owner_created').on('alert_failed_calls').columns(['api_owner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('alert_failed_calls_created').on('alert_failed_calls').columns(['created_at']).execute();
}
