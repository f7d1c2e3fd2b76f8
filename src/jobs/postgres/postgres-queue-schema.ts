import type pg from 'pg';

/** The schema Furrow's queue owns beside graphile-worker's: worker heartbeats and schedule periods. */
export const QUEUE_SCHEMA = 'furrow_jobs';

/**
 * Each entry is one schema version, applied in order and recorded in `furrow_jobs.schema_version`;
 * never edit an entry, append one.
 */
const VERSIONS: readonly (readonly string[])[] = [
  [
    // graphile-worker frees a dead worker's jobs only after 4 hours; these rows say which workers
    // are alive, so a live process can free a dead one's jobs after one lease instead.
    `create table ${QUEUE_SCHEMA}.workers (
      worker_id text primary key,
      process_id text not null,
      heartbeat_at timestamptz not null default now()
    )`,
    // The last period each schedule fired for; a compare-and-set on it fires each period once.
    `create table ${QUEUE_SCHEMA}.schedules (
      name text primary key,
      last_period bigint not null
    )`,
  ],
];

/**
 * Brings the queue's own schema to the latest version. The caller holds the install advisory lock,
 * so concurrent starts of several processes do not race on `create table`.
 */
export async function installPostgresQueueSchema(client: pg.PoolClient): Promise<{ from: number; to: number }> {
  await client.query('begin');
  try {
    await client.query(`create schema if not exists ${QUEUE_SCHEMA}`);
    await client.query(`create table if not exists ${QUEUE_SCHEMA}.schema_version (version integer not null)`);
    const { rows } = await client.query<{ version: number }>(`select version from ${QUEUE_SCHEMA}.schema_version`);
    const from = rows[0]?.version ?? 0;
    if (from > VERSIONS.length) {
      throw new Error(`The job queue schema ${QUEUE_SCHEMA} is at version ${from}, newer than this release knows (${VERSIONS.length}); upgrade Furrow on every process sharing this database.`);
    }
    for (let v = from; v < VERSIONS.length; v++) {
      for (const statement of VERSIONS[v] ?? []) await client.query(statement);
    }
    if (rows.length === 0) await client.query(`insert into ${QUEUE_SCHEMA}.schema_version (version) values ($1)`, [VERSIONS.length]);
    else if (from < VERSIONS.length) await client.query(`update ${QUEUE_SCHEMA}.schema_version set version = $1`, [VERSIONS.length]);
    await client.query('commit');
    return { from, to: VERSIONS.length };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

/** Serialises installs across processes: graphile-worker's own install can race on a fresh database. */
export async function withInstallLock<R>(pool: pg.Pool, install: (client: pg.PoolClient) => Promise<R>): Promise<R> {
  const client = await pool.connect();
  try {
    await client.query(`select pg_advisory_lock(hashtext('furrow_jobs install'))`);
    try {
      return await install(client);
    } finally {
      await client.query(`select pg_advisory_unlock(hashtext('furrow_jobs install'))`);
    }
  } finally {
    client.release();
  }
}
