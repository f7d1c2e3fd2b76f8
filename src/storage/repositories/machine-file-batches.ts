import type { Kysely, Selectable } from 'kysely';
import type { BatchFilter, BatchRecord, BatchSortField, BatchStatus, Page, PageRequest, ProviderFileSource } from '../../domain/index.js';
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
    ...(row.origin === 'provider' && row.provider_file_id !== null
      ? { providerFile: { credentialId: row.credential_id ?? '', organizationId: row.organization_id, providerFileId: row.provider_file_id, version: row.provider_file_version ?? '', operationType: row.provider_operation_type } }
      : {}),
  };
}

/** Upload batches; reads are scoped by API owner except `getById`, which the worker uses. */
/** The columns every batch has, uploaded or from a provider. */
function batchRow(batch: BatchRecord) {
  return {
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
  };
}

export function machineFileBatchesRepository(db: Kysely<Database>, _dialect: StorageDialect) {
  return {
    async insert(batch: BatchRecord): Promise<void> {
      await db.insertInto('machine_file_batches').values(batchRow(batch)).execute();
    },
    /**
     * Inserts the batch of a provider file unless one with the same natural key (user, provider,
     * provider file id, version) exists; false when it did, so of two workers racing on one file
     * exactly one goes on to process it.
     */
    async insertProviderFile(batch: BatchRecord & { providerFile: ProviderFileSource }): Promise<boolean> {
      const source = batch.providerFile;
      const result = await db
        .insertInto('machine_file_batches')
        .values({
          ...batchRow(batch),
          origin: 'provider',
          credential_id: source.credentialId,
          organization_id: source.organizationId,
          provider_file_id: source.providerFileId,
          provider_file_version: source.version,
          provider_operation_type: source.operationType ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    /** The batch of a provider file at one version, by its natural key. */
    async findProviderFile(leafUserId: string, provider: string, providerFileId: string, version: string): Promise<BatchRecord | undefined> {
      const row = await db
        .selectFrom('machine_file_batches')
        .selectAll()
        .where('user_id', '=', leafUserId)
        .where('provider', '=', provider)
        .where('provider_file_id', '=', providerFileId)
        .where('provider_file_version', '=', version)
        .executeTakeFirst();
      return row === undefined ? undefined : toBatch(row);
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
      // Leaf's batches are uploads (7.7); provider files are batches only inside Furrow.
      let query = db.selectFrom('machine_file_batches').where('api_owner_id', '=', ownerId).where('origin', '=', 'uploaded');
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
