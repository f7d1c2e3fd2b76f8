import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database } from '../schema.js';

/** What a sync writes, by kind; `boundary` records are keyed by the provider's field id. */
export type SyncRecordKind = 'grower' | 'farm' | 'field' | 'boundary';

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
  counts: Record<'growers' | 'farms' | 'fields' | 'boundaries', SyncCounts>;
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

    /** Every record of one kind the credential's syncs wrote, by provider id. */
    async records(credentialId: string, kind: SyncRecordKind): Promise<Map<string, SyncRecord>> {
      const rows = await db.selectFrom('sync_records').select(['provider_record_id', 'version', 'local_id']).where('credential_id', '=', credentialId).where('kind', '=', kind).execute();
      return new Map(rows.map((r) => [r.provider_record_id, { version: r.version, localId: r.local_id }]));
    },
    async saveRecord(credentialId: string, kind: SyncRecordKind, providerId: string, record: SyncRecord): Promise<void> {
      await db
        .insertInto('sync_records')
        .values({ credential_id: credentialId, kind, provider_record_id: providerId, version: record.version, local_id: record.localId })
        .onConflict((oc) => oc.columns(['credential_id', 'kind', 'provider_record_id']).doUpdateSet({ version: record.version, local_id: record.localId }))
        .execute();
    },
    async deleteRecord(credentialId: string, kind: SyncRecordKind, providerId: string): Promise<void> {
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
    /** The provider columns of a synced field that PATCH does not change. */
    async updateProviderField(userId: string, fieldId: string, change: { providerBoundaryId: string | null; providerFieldName: string | null; organizationId: string }, now: string): Promise<void> {
      await db
        .updateTable('fields')
        .set({ provider_boundary_id: change.providerBoundaryId, provider_field_name: change.providerFieldName, organization_id: change.organizationId, updated_at: now })
        .where('user_id', '=', userId)
        .where('id', '=', fieldId)
        .execute();
    },
  };
}
export type SyncRepository = ReturnType<typeof syncRepository>;
