import type pg from 'pg';

/** The schema Furrow's queue owns beside graphile-worker's: worker heartbeats, schedule periods, keyed adds. */
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
  [
    // graphile-worker's add_job for one keyed job (its add_jobs with job_key_mode 'replace'),
    // except that it notifies only when the job is due. add_job NOTIFYs every insert, and each
    // notification wakes an idle worker in every process, which finds nothing when the job runs
    // later: a refresh rescheduling itself 12 hours ahead cost an empty fetch per process. Workers
    // find jobs that become due later by polling, with or without the notification.
    `create function ${QUEUE_SCHEMA}.add_keyed_job(
      identifier text, payload json, run_at timestamptz, max_attempts integer, job_key text
    ) returns graphile_worker._private_jobs language plpgsql as $$
    declare
      v_job graphile_worker._private_jobs;
    begin
      -- Twice at most: a worker may lock the pending job between the update and the insert, and
      -- the second round then finds it running. graphile-worker's add_jobs adds nothing in that
      -- race; here the job is added beside the running one, as the key contract says.
      for round in 1..2 loop
        -- A running or failed job with this key gives it up (and its retries); a pending one is replaced.
        update graphile_worker._private_jobs as jobs
          set key = null, attempts = jobs.max_attempts, updated_at = now()
          where jobs.key = add_keyed_job.job_key and jobs.is_available is not true;
        insert into graphile_worker._private_jobs as jobs (task_id, payload, run_at, max_attempts, key, priority)
          select tasks.id, coalesce(add_keyed_job.payload, '{}'::json), coalesce(add_keyed_job.run_at, now()),
            coalesce(add_keyed_job.max_attempts::smallint, 25::smallint), add_keyed_job.job_key, 0
          from graphile_worker._private_tasks as tasks
          where tasks.identifier = add_keyed_job.identifier
        on conflict (key) do update set
          job_queue_id = excluded.job_queue_id,
          task_id = excluded.task_id,
          payload = case
            when json_typeof(jobs.payload) = 'array' and json_typeof(excluded.payload) = 'array'
              then (jobs.payload::jsonb || excluded.payload::jsonb)::json
            else excluded.payload end,
          max_attempts = excluded.max_attempts,
          run_at = excluded.run_at,
          priority = excluded.priority,
          revision = jobs.revision + 1,
          flags = excluded.flags,
          attempts = 0,
          last_error = null,
          updated_at = now()
        where jobs.locked_at is null
        returning * into v_job;
        exit when v_job.id is not null;
      end loop;
      if v_job.id is null then
        raise exception 'add_keyed_job: no job added for task % with key % (unknown task?)', add_keyed_job.identifier, add_keyed_job.job_key;
      end if;
      if v_job.run_at <= clock_timestamp() then
        perform pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":1}');
      end if;
      return v_job;
    end;
    $$`,
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
