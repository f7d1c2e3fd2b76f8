import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database } from '../schema.js';

/** What a sync writes, by kind; `boundary` records are keyed by the provider's field id. */
export type SyncRecordKind = 'grower' | 'farm' | 'field' | 'boundary';
/** Every kind of stored record: the engine's, machine files and per-field file listings (written by `services/sync-files.ts`). */
export type SyncStoredKind = SyncRecordKind | 'file' | 'field-files';

export interface SyncCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export type SyncRunStatus = 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED';

export interface SyncRunError {
  kind: string;
  providerId: string | null;
  message: string;
}

export interface SyncRun {
  id: string;
  credentialId: string;
  startedAt: string;
  finishedAt: string | null;
  status: SyncRunStatus;
  /** `files`: `created` new files queued for download, `updated` changed ones, `unchanged` known ones (absent on runs before it). */
  counts: Record<'growers' | 'farms' | 'fields' | 'boundaries' | 'files', SyncCounts>;
  errors: SyncRunError[];
  /** Change cursors by organization and listing. */
  cursors: SyncCursors;
}

/** `{ "<organization provider id>": { fields: "<cursor>" } }` */
export type SyncCursors = Record<string, Record<string, string>>;

export interface SyncRecord {
  version: string;
  localId: string;
}

/**
 * Sync runs, the cursors each credential resumes from, and the version of every provider record
 * last written, by credential and the provider's id (the sync's natural key).
 */
export function syncRepository(db: Kysely<Database>, dialect: StorageDialect) {
  return {
    async insertRun(run: SyncRun): Promise<void> {
      await db
        .insertInto('sync_runs')
        .values({
          id: run.id,
          credential_id: run.credentialId,
          started_at: run.startedAt,
          finished_at: run.finishedAt,
          status: run.status,
          counts: dialect.json(run.counts),
          errors: dialect.json(run.errors),
          cursors: dialect.json(run.cursors),
        })
        .execute();
    },
    /** Runs of the credential still RUNNING from before `before` end FAILED: their process died. */
    async abandonRuns(credentialId: string, before: string): Promise<number> {
      const result = await db
        .updateTable('sync_runs')
        .set({ status: 'FAILED', finished_at: before, errors: dialect.json([{ kind: 'run', providerId: null, message: 'The process running this sync stopped before it finished (its lease ran out); the next run resumed the work.' }]) })
        .where('credential_id', '=', credentialId)
        .where('status', '=', 'RUNNING')
        .where('started_at', '<=', before)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async finishRun(run: SyncRun): Promise<void> {
      await db
        .updateTable('sync_runs')
        .set({ finished_at: run.finishedAt, status: run.status, counts: dialect.json(run.counts), errors: dialect.json(run.errors), cursors: dialect.json(run.cursors) })
        .where('id', '=', run.id)
        .execute();
    },
    /** Newest first. */
    async listRuns(credentialId: string, limit = 20): Promise<SyncRun[]> {
      const rows = await db.selectFrom('sync_runs').selectAll().where('credential_id', '=', credentialId).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        id: r.id,
        credentialId: r.credential_id,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        status: r.status as SyncRunStatus,
        counts: dialect.parseJson<SyncRun['counts']>(r.counts),
        errors: dialect.parseJson<SyncRunError[]>(r.errors),
        cursors: dialect.parseJson<SyncCursors>(r.cursors),
      }));
    },

    async cursors(credentialId: string): Promise<SyncCursors> {
      const row = await db.selectFrom('sync_cursors').select('cursors').where('credential_id', '=', credentialId).executeTakeFirst();
      return row === undefined ? {} : dialect.parseJson<SyncCursors>(row.cursors);
    },
    async saveCursors(credentialId: string, cursors: SyncCursors, now: string): Promise<void> {
      await db
        .insertInto('sync_cursors')
        .values({ credential_id: credentialId, cursors: dialect.json(cursors), updated_at: now })
        .onConflict((oc) => oc.column('credential_id').doUpdateSet({ cursors: dialect.json(cursors), updated_at: now }))
        .execute();
    },

    /**
     * Takes the credential's sync lease for `runId` until `until` when it is free or ran out;
     * true when taken. The row is created first, so the conditional update is the only race.
     */
    async claimLease(credentialId: string, runId: string, now: string, until: string): Promise<boolean> {
      await db
        .insertInto('sync_cursors')
        .values({ credential_id: credentialId, cursors: dialect.json({}), updated_at: now, lease_run_id: null, lease_until: null, fields_requested_at: null })
        .onConflict((oc) => oc.column('credential_id').doNothing())
        .execute();
      const result = await db
        .updateTable('sync_cursors')
        .set({ lease_run_id: runId, lease_until: until })
        .where('credential_id', '=', credentialId)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Extends a lease this run holds; false when it was lost (it ran out and another run took it). */
    async renewLease(credentialId: string, runId: string, until: string): Promise<boolean> {
      const result = await db.updateTable('sync_cursors').set({ lease_until: until }).where('credential_id', '=', credentialId).where('lease_run_id', '=', runId).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async releaseLease(credentialId: string, runId: string): Promise<void> {
      await db.updateTable('sync_cursors').set({ lease_run_id: null, lease_until: null }).where('credential_id', '=', credentialId).where('lease_run_id', '=', runId).execute();
    },
    /** When the lease ends, for a run that found it held; undefined when it is free. */
    async leaseUntil(credentialId: string): Promise<string | undefined> {
      const row = await db.selectFrom('sync_cursors').select('lease_until').where('credential_id', '=', credentialId).executeTakeFirst();
      return row?.lease_until ?? undefined;
    },
    /** The credential's `lastSyncTime`: when its last run that got through ended. */
    async markSynced(credentialId: string, at: string): Promise<void> {
      await db.updateTable('credentials').set({ last_sync_time: at }).where('id', '=', credentialId).execute();
    },
    /** A manual fields sync was asked for (`POST fields/sync` with `fieldsAutoSync` off). */
    async requestFields(credentialId: string, now: string): Promise<void> {
      await db
        .insertInto('sync_cursors')
        .values({ credential_id: credentialId, cursors: dialect.json({}), updated_at: now, lease_run_id: null, lease_until: null, fields_requested_at: now })
        .onConflict((oc) => oc.column('credential_id').doUpdateSet({ fields_requested_at: now }))
        .execute();
    },
    async fieldsRequestedAt(credentialId: string): Promise<string | undefined> {
      const row = await db.selectFrom('sync_cursors').select('fields_requested_at').where('credential_id', '=', credentialId).executeTakeFirst();
      return row?.fields_requested_at ?? undefined;
    },
    /** Clears the request a run served; a request made while it ran (a later time) stays. */
    async clearFieldsRequest(credentialId: string, servedAt: string): Promise<void> {
      await db.updateTable('sync_cursors').set({ fields_requested_at: null }).where('credential_id', '=', credentialId).where('fields_requested_at', '=', servedAt).execute();
    },

    /** The user's fields of one provider organization in a status (customDataSync's WAITING ones). */
    async fieldsInStatus(userId: string, providerName: string, organizationId: string, status: string): Promise<{ id: string; providerFieldId: string; providerBoundaryId: string | null }[]> {
      const rows = await db
        .selectFrom('fields')
        .select(['id', 'provider_field_id', 'provider_boundary_id'])
        .where('user_id', '=', userId)
        .where('provider_name', '=', providerName)
        .where('organization_id', '=', organizationId)
        .where('status', '=', status)
        .execute();
      return rows.flatMap((r) => (r.provider_field_id === null ? [] : [{ id: r.id, providerFieldId: r.provider_field_id, providerBoundaryId: r.provider_boundary_id }]));
    },
    async setFieldStatus(userId: string, fieldId: string, status: string, now: string): Promise<void> {
      await db.updateTable('fields').set({ status, updated_at: now }).where('user_id', '=', userId).where('id', '=', fieldId).execute();
    },
    /** A provider grower gone upstream; its farms keep existing without it (the foreign key sets null). */
    async deleteGrower(userId: string, growerId: number): Promise<void> {
      await db.deleteFrom('field_growers').where('user_id', '=', userId).where('id', '=', growerId).where('provider_name', 'is not', null).execute();
    },
    /** A provider farm gone upstream; its fields keep existing without it. */
    async deleteFarm(userId: string, farmId: number): Promise<void> {
      await db.deleteFrom('field_farms').where('user_id', '=', userId).where('id', '=', farmId).where('provider_name', 'is not', null).execute();
    },

    /** Every record of one kind the credential's syncs wrote, by provider id. */
    async records(credentialId: string, kind: SyncStoredKind): Promise<Map<string, SyncRecord>> {
      const rows = await db.selectFrom('sync_records').select(['provider_record_id', 'version', 'local_id']).where('credential_id', '=', credentialId).where('kind', '=', kind).execute();
      return new Map(rows.map((r) => [r.provider_record_id, { version: r.version, localId: r.local_id }]));
    },
    async saveRecord(credentialId: string, kind: SyncStoredKind, providerId: string, record: SyncRecord): Promise<void> {
      await db
        .insertInto('sync_records')
        .values({ credential_id: credentialId, kind, provider_record_id: providerId, version: record.version, local_id: record.localId })
        .onConflict((oc) => oc.columns(['credential_id', 'kind', 'provider_record_id']).doUpdateSet({ version: record.version, local_id: record.localId }))
        .execute();
    },
    async deleteRecord(credentialId: string, kind: SyncStoredKind, providerId: string): Promise<void> {
      await db.deleteFrom('sync_records').where('credential_id', '=', credentialId).where('kind', '=', kind).where('provider_record_id', '=', providerId).execute();
    },

    /**
     * The Furrow id of a provider grower, farm or field by its natural key (user, provider name,
     * provider id): a record written by an earlier credential of the same user is adopted, not duplicated.
     */
    async localIdByNaturalKey(userId: string, providerName: string, kind: Exclude<SyncRecordKind, 'boundary'>, providerId: string): Promise<string | undefined> {
      if (kind === 'grower') {
        const row = await db.selectFrom('field_growers').select('id').where('user_id', '=', userId).where('provider_name', '=', providerName).where('provider_grower_id', '=', providerId).executeTakeFirst();
        return row === undefined ? undefined : String(row.id);
      }
      if (kind === 'farm') {
        const row = await db.selectFrom('field_farms').select('id').where('user_id', '=', userId).where('provider_name', '=', providerName).where('provider_farm_id', '=', providerId).executeTakeFirst();
        return row === undefined ? undefined : String(row.id);
      }
      const row = await db.selectFrom('fields').select('id').where('user_id', '=', userId).where('provider_name', '=', providerName).where('provider_field_id', '=', providerId).executeTakeFirst();
      return row?.id;
    },
    /** Provider ids of the user's fields of one provider still in PREVIEW (customDataSync): their files wait too. */
    async previewProviderFieldIds(userId: string, providerName: string): Promise<Set<string>> {
      const rows = await db.selectFrom('fields').select('provider_field_id').where('user_id', '=', userId).where('provider_name', '=', providerName).where('status', '=', 'PREVIEW').execute();
      return new Set(rows.flatMap((r) => (r.provider_field_id === null ? [] : [r.provider_field_id])));
    },
    /** The provider columns of a synced field that PATCH does not change. */
    async updateProviderField(userId: string, fieldId: string, change: { providerBoundaryId: string | null; providerFieldName: string | null; organizationId: string }, now: string): Promise<void> {
      await db
        .updateTable('fields')
        .set({ provider_boundary_id: change.providerBoundaryId, provider_field_name: change.providerFieldName, organization_id: change.organizationId, updated_at: now })
        .where('user_id', '=', userId)
        .where('id', '=', fieldId)
        .execute();
    },

    /**
     * For the daily spread (`services/sync-schedule.ts`): one page of the credentials of the given
     * providers and statuses, in id order after `afterId`, with when their last run started and
     * their last complete run (SUCCEEDED or PARTIAL) finished.
     */
    async syncTimes(filter: { providers: readonly string[]; statuses: readonly string[]; afterId?: string | undefined; limit: number }): Promise<{ credentialId: string; lastStartedAt: string | null; lastSucceededAt: string | null }[]> {
      if (filter.providers.length === 0 || filter.statuses.length === 0) return [];
      let query = db
        .selectFrom('credentials as c')
        .leftJoin('sync_runs as r', 'r.credential_id', 'c.id')
        .select('c.id')
        .select((eb) => [
          eb.fn.max('r.started_at').as('last_started_at'),
          eb.fn.max(eb.case().when('r.status', 'in', ['SUCCEEDED', 'PARTIAL']).then(eb.ref('r.finished_at')).end()).as('last_succeeded_at'),
        ])
        .where('c.provider', 'in', [...filter.providers])
        .where('c.status', 'in', [...filter.statuses]);
      if (filter.afterId !== undefined) query = query.where('c.id', '>', filter.afterId);
      const rows = await query.groupBy('c.id').orderBy('c.id').limit(filter.limit).execute();
      return rows.map((r) => ({ credentialId: r.id, lastStartedAt: r.last_started_at ?? null, lastSucceededAt: r.last_succeeded_at ?? null }));
    },
  };
}
export type SyncRepository = ReturnType<typeof syncRepository>;
