import type { Kysely } from 'kysely';

/**
 * At most one sync per credential at a time across every process (issue 5): a lease on the
 * credential's cursor row, taken by a conditional update and renewed while the run lasts, so a
 * sync job that finds it held waits for it instead of running beside it, and one whose worker died
 * is resumed once the lease runs out. `fields_requested_at` records a manual `POST fields/sync`
 * for users with `fieldsAutoSync` off: a flag in the row, not in the job's payload, because a later
 * automatic request replaces a pending job's payload.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sync_cursors').addColumn('lease_run_id', 'text').execute();
  await db.schema.alterTable('sync_cursors').addColumn('lease_until', 'text').execute();
  await db.schema.alterTable('sync_cursors').addColumn('fields_requested_at', 'text').execute();
}
