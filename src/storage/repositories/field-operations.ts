import type { Kysely, Selectable } from 'kysely';
import type {
  FieldOperationField,
  FieldOperationOutput,
  FieldOperationRecord,
  FieldOperationStatus,
  FileFieldShare,
  OperationFilter,
  OperationSortField,
  Page,
  PageRequest,
} from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database, FieldOperationTable } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

type SortColumn = 'id' | 'user_id' | 'start_time' | 'end_time' | 'operation_type' | 'updated_at';
const COLUMN_BY_SORT: Record<OperationSortField, SortColumn> = {
  id: 'id',
  leafUserId: 'user_id',
  startTime: 'start_time',
  endTime: 'end_time',
  type: 'operation_type',
  updatedTime: 'updated_at',
};

/** A file's allocation as stored: its shares per field and its points outside every field. */
export interface FileAllocation {
  fileId: string;
  totalPoints: number;
  outsidePoints: number;
  fields: FileFieldShare[];
}

/** What a build writes into an operation. */
export interface FieldOperationBuild {
  status: FieldOperationStatus;
  statusReason: string | null;
  summary: unknown;
  units: Record<string, string> | null;
  outputs: FieldOperationOutput[];
  startTime: string | null;
  endTime: string | null;
  coverage: Record<string, number | null>;
  updatedAt: string;
}

/**
 * Allocations of files to fields and the operations grouped from them. Membership rows
 * (`field_operation_files`, `field_operation_fields`) are replaced whole by `saveMembership`.
 */
export function fieldOperationsRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const json = (value: unknown) => (value === null || value === undefined ? null : dialect.json(value));
  const on = (uow?: UnitOfWork) => uow?.db ?? db;

  async function withMembers(rows: Selectable<FieldOperationTable>[], via: Kysely<Database> = db): Promise<FieldOperationRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [files, fields] = await Promise.all([
      via.selectFrom('field_operation_files').innerJoin('machine_files', 'machine_files.id', 'field_operation_files.file_id').select(['operation_id', 'file_id', 'machine_files.start_time']).where('operation_id', 'in', ids).execute(),
      via.selectFrom('field_operation_fields').selectAll().where('operation_id', 'in', ids).orderBy('field_id').execute(),
    ]);
    files.sort((a, b) => (a.start_time ?? '').localeCompare(b.start_time ?? '') || a.file_id.localeCompare(b.file_id));
    return rows.map((row) => ({
      id: row.id,
      ownerId: row.api_owner_id,
      leafUserId: row.user_id,
      operationType: row.operation_type,
      groupKey: row.group_key,
      status: row.status as FieldOperationStatus,
      statusReason: row.status_reason,
      revision: Number(row.revision),
      builtRevision: row.built_revision === null ? null : Number(row.built_revision),
      configHash: row.config_hash,
      providers: dialect.parseJson<string[]>(row.providers),
      summary: row.summary === null ? null : dialect.parseJson<unknown>(row.summary),
      units: row.units === null ? null : dialect.parseJson<Record<string, string>>(row.units),
      outputs: dialect.parseJson<FieldOperationOutput[]>(row.outputs),
      startTime: row.start_time,
      endTime: row.end_time,
      createdTime: row.created_at,
      updatedTime: row.updated_at,
      files: files.filter((f) => f.operation_id === row.id).map((f) => f.file_id),
      fields: fields
        .filter((f) => f.operation_id === row.id)
        .map((f): FieldOperationField => ({ fieldId: f.field_id, boundaryId: f.boundary_id, coverage: f.coverage === null ? null : Number(f.coverage) })),
    }));
  }

  return {
    // --- allocations ---------------------------------------------------------------------------
    /** Replaces a file's allocation. */
    async saveAllocation(file: { id: string; ownerId: string; leafUserId: string }, allocation: Omit<FileAllocation, 'fileId'>, at: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('file_fields').where('file_id', '=', file.id).execute();
        await trx.deleteFrom('file_allocations').where('file_id', '=', file.id).execute();
        await trx
          .insertInto('file_allocations')
          .values({ file_id: file.id, api_owner_id: file.ownerId, user_id: file.leafUserId, total_points: allocation.totalPoints, outside_points: allocation.outsidePoints, allocated_at: at })
          .execute();
        if (allocation.fields.length > 0) {
          await trx
            .insertInto('file_fields')
            .values(allocation.fields.map((f) => ({ file_id: file.id, field_id: f.fieldId, boundary_id: f.boundaryId, user_id: file.leafUserId, points: f.points, share: f.share })))
            .execute();
        }
      });
    },
    /** The owner's users that have allocated files. */
    async usersWithAllocations(ownerId: string): Promise<string[]> {
      const rows = await db.selectFrom('file_allocations').select('user_id').distinct().where('api_owner_id', '=', ownerId).execute();
      return rows.map((r) => r.user_id);
    },
    /** Forgets the allocation of these files, so the next refresh allocates them again. */
    async clearAllocations(fileIds: readonly string[]): Promise<void> {
      if (fileIds.length === 0) return;
      await db.deleteFrom('file_allocations').where('file_id', 'in', [...fileIds]).execute();
      await db.deleteFrom('file_fields').where('file_id', 'in', [...fileIds]).execute();
    },
    /** Every allocation of the user's files. */
    async allocations(leafUserId: string): Promise<FileAllocation[]> {
      const [rows, fields] = await Promise.all([
        db.selectFrom('file_allocations').selectAll().where('user_id', '=', leafUserId).execute(),
        db.selectFrom('file_fields').selectAll().where('user_id', '=', leafUserId).execute(),
      ]);
      const byFile = new Map<string, FileFieldShare[]>();
      for (const f of fields) byFile.set(f.file_id, [...(byFile.get(f.file_id) ?? []), { fieldId: f.field_id, boundaryId: f.boundary_id, points: Number(f.points), share: Number(f.share) }]);
      return rows.map((r) => ({ fileId: r.file_id, totalPoints: Number(r.total_points), outsidePoints: Number(r.outside_points), fields: byFile.get(r.file_id) ?? [] }));
    },
    /** Ids of the user's processed files that have no allocation yet. */
    async unallocatedFileIds(leafUserId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('machine_files')
        .leftJoin('file_allocations', 'file_allocations.file_id', 'machine_files.id')
        .select('machine_files.id')
        .where('machine_files.user_id', '=', leafUserId)
        .where('machine_files.status', '=', 'processed')
        .where('file_allocations.file_id', 'is', null)
        .orderBy('machine_files.created_at')
        .orderBy('machine_files.id')
        .execute();
      return rows.map((r) => r.id);
    },
    /** Ids of the user's files that have points in any of these fields. */
    async filesInFields(leafUserId: string, fieldIds: readonly string[]): Promise<string[]> {
      if (fieldIds.length === 0) return [];
      const rows = await db.selectFrom('file_fields').select('file_id').distinct().where('user_id', '=', leafUserId).where('field_id', 'in', [...fieldIds]).execute();
      return rows.map((r) => r.file_id);
    },
    /** Ids of the user's processed files in no operation, oldest first. */
    async uncoveredFileIds(ownerId: string, leafUserId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('machine_files')
        .select('id')
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', leafUserId)
        .where('status', '=', 'processed')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('field_operation_files').select('file_id').whereRef('field_operation_files.file_id', '=', 'machine_files.id'))))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },
    /** Ids of the files of the field's operations, oldest first. */
    async fileIdsOfField(ownerId: string, leafUserId: string, fieldId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('field_operation_fields')
        .innerJoin('field_operations', 'field_operations.id', 'field_operation_fields.operation_id')
        .innerJoin('field_operation_files', 'field_operation_files.operation_id', 'field_operations.id')
        .innerJoin('machine_files', 'machine_files.id', 'field_operation_files.file_id')
        .select('machine_files.id')
        .distinct()
        .select('machine_files.created_at')
        .where('field_operations.api_owner_id', '=', ownerId)
        .where('field_operations.user_id', '=', leafUserId)
        .where('field_operation_fields.field_id', '=', fieldId)
        .orderBy('machine_files.created_at')
        .orderBy('machine_files.id')
        .execute();
      return rows.map((r) => r.id);
    },

    // --- refresh lease -------------------------------------------------------------------------
    /** Takes (or renews) the user's refresh lease for `holder` until `until`; false when another holder's lease runs. */
    async takeRefreshLease(leafUserId: string, holder: string, until: string, now: string): Promise<boolean> {
      await db.insertInto('field_operation_refresh_leases').values({ user_id: leafUserId, holder: null, lease_until: null }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
      const taken = await db
        .updateTable('field_operation_refresh_leases')
        .set({ holder, lease_until: until })
        .where('user_id', '=', leafUserId)
        .where((eb) => eb.or([eb('holder', 'is', null), eb('holder', '=', holder), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return taken.numUpdatedRows > 0n;
    },
    async releaseRefreshLease(leafUserId: string, holder: string): Promise<void> {
      await db.updateTable('field_operation_refresh_leases').set({ holder: null, lease_until: null }).where('user_id', '=', leafUserId).where('holder', '=', holder).execute();
    },

    // --- operations ----------------------------------------------------------------------------
    async get(ownerId: string, id: string): Promise<FieldOperationRecord | undefined> {
      const rows = await db.selectFrom('field_operations').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id).execute();
      return (await withMembers(rows))[0];
    },
    async getById(id: string): Promise<FieldOperationRecord | undefined> {
      const rows = await db.selectFrom('field_operations').selectAll().where('id', '=', id).execute();
      return (await withMembers(rows))[0];
    },
    async listForUser(leafUserId: string): Promise<FieldOperationRecord[]> {
      return withMembers(await db.selectFrom('field_operations').selectAll().where('user_id', '=', leafUserId).orderBy('created_at').orderBy('id').execute());
    },
    async list(ownerId: string, filter: OperationFilter, pageRequest: PageRequest<OperationSortField>): Promise<Page<FieldOperationRecord>> {
      let query = db.selectFrom('field_operations').where('api_owner_id', '=', ownerId);
      if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
      if (filter.operationType !== undefined) query = query.where('operation_type', '=', filter.operationType);
      if (filter.startTime !== undefined) query = query.where('start_time', '>=', filter.startTime);
      if (filter.endTime !== undefined) query = query.where('end_time', '<=', filter.endTime);
      if (filter.updatedTime !== undefined) query = query.where('updated_at', '>=', filter.updatedTime);
      const { fieldId, provider } = filter;
      if (fieldId !== undefined) {
        query = query.where((eb) =>
          eb.exists(eb.selectFrom('field_operation_fields').select('field_id').whereRef('field_operation_fields.operation_id', '=', 'field_operations.id').where('field_operation_fields.field_id', '=', fieldId)),
        );
      }
      if (provider !== undefined) {
        // Providers are few per operation; the files carry them, which both dialects can join on.
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('field_operation_files')
              .innerJoin('machine_files', 'machine_files.id', 'field_operation_files.file_id')
              .select('field_operation_files.file_id')
              .whereRef('field_operation_files.operation_id', '=', 'field_operations.id')
              .where('machine_files.provider', '=', provider),
          ),
        );
      }
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of pageRequest.sort) rows = rows.orderBy(COLUMN_BY_SORT[s.field], s.direction);
      rows = rows.orderBy('id', 'asc').limit(pageRequest.size).offset(pageRequest.page * pageRequest.size);
      return { items: await withMembers(await rows.execute()), total: Number(counted.n) };
    },
    async insert(
      op: { id: string; ownerId: string; leafUserId: string; operationType: string; groupKey: string; configHash: string; providers: string[]; at: string },
      uow?: UnitOfWork,
    ): Promise<void> {
      await on(uow)
        .insertInto('field_operations')
        .values({
          id: op.id,
          api_owner_id: op.ownerId,
          user_id: op.leafUserId,
          operation_type: op.operationType,
          group_key: op.groupKey,
          status: 'processing',
          status_reason: null,
          revision: 1,
          built_revision: null,
          config_hash: op.configHash,
          providers: dialect.json(op.providers),
          summary: null,
          units: null,
          outputs: dialect.json([]),
          start_time: null,
          end_time: null,
          created_at: op.at,
          updated_at: op.at,
        })
        .execute();
    },
    /** Replaces the operation's files and fields, bumps its revision and puts it back to `processing`. */
    async saveMembership(
      id: string,
      members: { files: readonly string[]; fields: readonly { fieldId: string; boundaryId: string }[]; providers: string[]; configHash: string; at: string },
      uow?: UnitOfWork,
    ): Promise<void> {
      const via = on(uow);
      await via.deleteFrom('field_operation_files').where('operation_id', '=', id).execute();
      await via.deleteFrom('field_operation_fields').where('operation_id', '=', id).execute();
      if (members.files.length > 0) await via.insertInto('field_operation_files').values(members.files.map((file_id) => ({ operation_id: id, file_id }))).execute();
      if (members.fields.length > 0) {
        await via.insertInto('field_operation_fields').values(members.fields.map((f) => ({ operation_id: id, field_id: f.fieldId, boundary_id: f.boundaryId, coverage: null }))).execute();
      }
      await via
        .updateTable('field_operations')
        .set((eb) => ({ revision: eb('revision', '+', 1), status: 'processing', status_reason: null, providers: dialect.json(members.providers), config_hash: members.configHash, updated_at: members.at }))
        .where('id', '=', id)
        .execute();
    },
    async remove(id: string, uow?: UnitOfWork): Promise<void> {
      await on(uow).deleteFrom('field_operations').where('id', '=', id).execute();
    },
    /** Marks an operation for a rebuild as it is (reprocess). */
    async bumpRevision(id: string, at: string, uow?: UnitOfWork): Promise<void> {
      await on(uow)
        .updateTable('field_operations')
        .set((eb) => ({ revision: eb('revision', '+', 1), status: 'processing', status_reason: null, updated_at: at }))
        .where('id', '=', id)
        .execute();
    },
    /** Writes a build made from `revision`; false (nothing written) when the operation changed since. */
    async completeBuild(id: string, revision: number, build: FieldOperationBuild, uow?: UnitOfWork): Promise<boolean> {
      const via = on(uow);
      const updated = await via
        .updateTable('field_operations')
        .set({
          status: build.status,
          status_reason: build.statusReason,
          built_revision: revision,
          summary: json(build.summary),
          units: json(build.units),
          outputs: dialect.json(build.outputs),
          start_time: build.startTime,
          end_time: build.endTime,
          updated_at: build.updatedAt,
        })
        .where('id', '=', id)
        .where('revision', '=', revision)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return false;
      for (const [fieldId, coverage] of Object.entries(build.coverage)) {
        await via.updateTable('field_operation_fields').set({ coverage }).where('operation_id', '=', id).where('field_id', '=', fieldId).execute();
      }
      return true;
    },
  };
}

export type FieldOperationsRepository = ReturnType<typeof fieldOperationsRepository>;
