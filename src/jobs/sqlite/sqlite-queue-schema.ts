import { sql, type Kysely } from 'kysely';

/**
 * The SQLite queue's own tables, installed by the queue on start (as graphile-worker installs its
 * schema) so the storage migrations need not know about them. Each entry is one schema version,
 * applied in order and recorded in `job_queue_schema`; never edit an entry, append one.
 *
 * Times are integer milliseconds since the epoch: the claim query compares them on every poll,
 * and integers compare faster and index smaller than the ISO text the domain tables use.
 */
const VERSIONS: readonly (readonly string[])[] = [
  [
    `create table job_queue_jobs (
      id integer primary key autoincrement,
      task text not null,
      payload text not null,
      key text,
      run_at integer not null,
      attempts integer not null default 0,
      max_attempts integer not null,
      last_error text,
      locked_by text,
      locked_until integer,
      created_at integer not null,
      updated_at integer not null
    )`,
    // At most one job holds a key; running and failed jobs give theirs up on the next enqueue.
    `create unique index job_queue_jobs_key on job_queue_jobs (key) where key is not null`,
    // The claim query's exact predicate, so claiming reads only runnable rows in run order.
    `create index job_queue_jobs_runnable on job_queue_jobs (run_at, id) where locked_by is null and attempts < max_attempts`,
    `create index job_queue_jobs_leases on job_queue_jobs (locked_until) where locked_by is not null`,
    `create index job_queue_jobs_failed on job_queue_jobs (updated_at) where locked_by is null and attempts >= max_attempts`,
    `create table job_queue_schedules (
      name text primary key,
      last_period integer not null
    )`,
  ],
];

/** Brings the queue's tables to the latest version; safe to run from several processes at once. */
export async function installSqliteQueueSchema(db: Kysely<unknown>): Promise<{ from: number; to: number }> {
  // One connection for the whole transaction: Kysely's pooled `sql.execute` could interleave
  // another query of this process between our statements.
  return db.connection().execute(async (conn) => {
    // IMMEDIATE takes the write lock up front, so a second process waits instead of racing us.
    await sql`begin immediate`.execute(conn);
    try {
      await sql`create table if not exists job_queue_schema (version integer not null)`.execute(conn);
      const { rows } = await sql<{ version: number }>`select version from job_queue_schema`.execute(conn);
      const from = rows[0]?.version ?? 0;
      if (from > VERSIONS.length) {
        throw new Error(`The job queue tables are at version ${from}, newer than this release knows (${VERSIONS.length}); upgrade Furrow on every process sharing this database.`);
      }
      for (let v = from; v < VERSIONS.length; v++) {
        for (const statement of VERSIONS[v] ?? []) await sql.raw(statement).execute(conn);
      }
      if (rows.length === 0) await sql`insert into job_queue_schema (version) values (${VERSIONS.length})`.execute(conn);
      else if (from < VERSIONS.length) await sql`update job_queue_schema set version = ${VERSIONS.length}`.execute(conn);
      await sql`commit`.execute(conn);
      return { from, to: VERSIONS.length };
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
  });
}
