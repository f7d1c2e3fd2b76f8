import type { Kysely, Selectable } from 'kysely';
import type { BatchFilter, BatchRecord, BatchSortField, BatchStatus, Page, PageRequest } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database, MachineFileBatchTable } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

const COLUMN_BY_SORT: Record<BatchSortField, 'id' | 'upload_timestamp' | 'file_name' | 'size' | 'status' | 'user_id' | 'provider'> = {
  id: 'id',
  uploadTimestamp: 'upload_timestamp',
  fileName: 'file_name',
  size: 'size',
  status: 'status',
  leafUserId: 'user_id',
  provider: 'provider',
};

function toBatch(row: Selectable<MachineFileBatchTable>): BatchRecord {
  return {
    id: row.id,
    ownerId: row.api_owner_id,
    leafUserId: row.user_id,
    provider: row.provider,
    fileName: row.file_name,
    size: Number(row.size),
    status: row.status as BatchStatus,
    statusDetails: row.status_details,
    statusReason: row.status_reason,
    uploadTimestamp: row.upload_timestamp,
    updatedTime: row.updated_at,
  };
}

/** Upload batches; reads are scoped by API owner except `getById`, which the worker uses. */
export function machineFileBatchesRepository(db: Kysely<Database>, _dialect: StorageDialect) {
  return {
    async insert(batch: BatchRecord): Promise<void> {
      await db
        .insertInto('machine_file_batches')
        .values({
          id: batch.id,
          api_owner_id: batch.ownerId,
          user_id: batch.leafUserId,
          provider: batch.provider,
          file_name: batch.fileName,
          size: batch.size,
          status: batch.status,
          status_details: batch.statusDetails,
          status_reason: batch.statusReason,
          upload_timestamp: batch.uploadTimestamp,
          updated_at: batch.updatedTime,
        })
        .execute();
    },
    async get(ownerId: string, id: string): Promise<BatchRecord | undefined> {
      const row = await db.selectFrom('machine_file_batches').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toBatch(row);
    },
    /** For the worker, which acts for whichever owner the job names. */
    async getById(id: string): Promise<BatchRecord | undefined> {
      const row = await db.selectFrom('machine_file_batches').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toBatch(row);
    },
    async list(ownerId: string, filter: BatchFilter, pageRequest: PageRequest<BatchSortField>): Promise<Page<BatchRecord>> {
      let query = db.selectFrom('machine_file_batches').where('api_owner_id', '=', ownerId);
      if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of pageRequest.sort) rows = rows.orderBy(COLUMN_BY_SORT[s.field], s.direction);
      rows = rows.orderBy('id', 'asc').limit(pageRequest.size).offset(pageRequest.page * pageRequest.size);
      return { items: (await rows.execute()).map(toBatch), total: Number(counted.n) };
    },
    async setStatus(id: string, update: { status: BatchStatus; statusDetails: string | null; statusReason: string | null; updatedAt: string }, uow?: UnitOfWork): Promise<boolean> {
      const result = await (uow?.db ?? db)
        .updateTable('machine_file_batches')
        .set({ status: update.status, status_details: update.statusDetails, status_reason: update.statusReason, updated_at: update.updatedAt })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
export type MachineFileBatchesRepository = ReturnType<typeof machineFileBatchesRepository>;
