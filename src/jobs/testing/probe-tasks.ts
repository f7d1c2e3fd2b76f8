import { Type } from '@sinclair/typebox';
import type { Storage } from '../../storage/database.js';
import { defineTask } from '../define-task.js';
import type { TaskContext } from '../queue.js';

/** One row per thing a probe job did, so tests (and other processes) can count starts and ends. */
export interface ProbeEventTable {
  run_id: string;
  event: 'start' | 'end';
  job_id: string;
  attempt: number;
  run_at: string;
  tag: string | null;
  at_ms: number;
}

type ProbeDb = ReturnType<typeof probeDb>;

function probeDb(storage: Storage) {
  return storage.db.withTables<{ job_probe_events: ProbeEventTable }>();
}

/** Creates the probe table with Kysely's schema builder, so it reads the same on both databases. */
export async function createProbeTable(storage: Storage): Promise<void> {
  await probeDb(storage)
    .schema.createTable('job_probe_events')
    .ifNotExists()
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .execute();
}

/** Everything the probe jobs of one test run did, oldest first. */
export async function probeEvents(storage: Storage, runId: string): Promise<ProbeEventTable[]> {
  const rows = await probeDb(storage).selectFrom('job_probe_events').selectAll().where('run_id', '=', runId).orderBy('at_ms').execute();
  return rows.map((r) => ({ ...r, at_ms: Number(r.at_ms), attempt: Number(r.attempt) }));
}

/** How many probe jobs of a run started (or ended). */
export async function countProbeEvents(storage: Storage, runId: string, event: 'start' | 'end'): Promise<number> {
  return (await probeEvents(storage, runId)).filter((e) => e.event === event).length;
}

async function record(db: ProbeDb, event: 'start' | 'end', runId: string, tag: string | undefined, context: TaskContext): Promise<void> {
  await db
    .insertInto('job_probe_events')
    .values({ run_id: runId, event, job_id: context.jobId, attempt: context.attempt, run_at: context.runAt.toISOString(), tag: tag ?? null, at_ms: Date.now() })
    .execute();
}

/** How many probe jobs run at this moment in this process, and the most seen at once. */
export const probeGauge = { active: 0, max: 0 };

export interface ProbeBehaviour {
  /**
   * After recording its start, the job never finishes: `until-aborted` gives up when the queue
   * releases it (a graceful stop), `forever` ignores everything (a process about to be killed).
   */
  hang?: 'until-aborted' | 'forever';
}

const probePayload = Type.Object({
  runId: Type.String(),
  tag: Type.Optional(Type.String()),
  sleepMs: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Throw on attempts 1..failTimes (after sleeping `sleepMs`, so a test can act while it runs). */
  failTimes: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** The test task: records its start and end in `job_probe_events`, can sleep, fail, or hang. */
export function probeTask(storage: Storage, behaviour: ProbeBehaviour = {}) {
  const db = probeDb(storage);
  return defineTask({
    name: 'probe',
    payload: probePayload,
    async run({ runId, tag, sleepMs, failTimes }, context) {
      await record(db, 'start', runId, tag, context);
      probeGauge.active++;
      probeGauge.max = Math.max(probeGauge.max, probeGauge.active);
      try {
        if (behaviour.hang === 'forever') await new Promise(() => {});
        if (behaviour.hang === 'until-aborted') {
          await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
          throw new Error('released');
        }
        if (sleepMs !== undefined) await new Promise((resolve) => setTimeout(resolve, sleepMs));
        if (failTimes !== undefined && context.attempt <= failTimes) throw new Error(`probe failure on attempt ${context.attempt}`);
      } finally {
        probeGauge.active--;
      }
      await record(db, 'end', runId, tag, context);
    },
  });
}

/** The same task as a later release declares it: `tag` became a required number. */
export function stricterProbeTask(storage: Storage) {
  const loose = probeTask(storage);
  return defineTask({
    name: 'probe',
    payload: Type.Object({ runId: Type.String(), tag: Type.Integer() }),
    run: (payload, context) => loose.run({ runId: payload.runId, tag: String(payload.tag) }, context),
  });
}

/** A task list holding only the probe task. */
export function probeTasks(storage: Storage, behaviour: ProbeBehaviour = {}) {
  return { probe: probeTask(storage, behaviour) };
}
