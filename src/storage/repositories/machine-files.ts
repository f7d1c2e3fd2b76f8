import type { Kysely, Selectable } from 'kysely';
import type { FileFilter, FileOutput, FileSortField, FileStepStatus, MachineFileOrigin, MachineFileRecord, MachineFileStatus, Page, PageRequest } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database, MachineFileTable } from '../schema.js';
import type { UnitOfWork } from '../unit-of-work.js';

type SortColumn = 'id' | 'file_name' | 'created_at' | 'updated_at' | 'origin' | 'user_id' | 'size_in_bytes' | 'provider' | 'organization_id' | 'file_format';
const COLUMN_BY_SORT: Record<FileSortField, SortColumn> = {
  id: 'id',
  fileName: 'file_name',
  createdTime: 'created_at',
  updatedTime: 'updated_at',
  origin: 'origin',
  leafUserId: 'user_id',
  sizeInBytes: 'size_in_bytes',
  provider: 'provider',
  organizationId: 'organization_id',
  fileFormat: 'file_format',
};

/** What processing writes when a file is done (or redone). */
export interface MachineFileResult {
  status: MachineFileStatus;
  fileFormat?: string | null;
  operationType: string | null;
  steps: Record<string, FileStepStatus>;
  summary: unknown;
  units: Record<string, string> | null;
  startTime: string | null;
  endTime: string | null;
  bbox: [number, number, number, number] | null;
  pointCount: number | null;
  areaM2: number | null;
  warnings: string[];
  outputs: FileOutput[];
  updatedAt: string;
}

const nullableNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

export function machineFilesRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const json = (value: unknown) => (value === null || value === undefined ? null : dialect.json(value));
  const toFile = (row: Selectable<MachineFileTable>): MachineFileRecord => ({
    id: row.id,
    ownerId: row.api_owner_id,
    leafUserId: row.user_id,
    batchId: row.batch_id,
    provider: row.provider,
    origin: row.origin as MachineFileOrigin,
    organizationId: row.organization_id,
    fileName: row.file_name,
    fileFormat: row.file_format,
    operationType: row.operation_type,
    status: row.status as MachineFileStatus,
    steps: dialect.parseJson<Record<string, FileStepStatus>>(row.steps),
    summary: row.summary === null ? null : dialect.parseJson<unknown>(row.summary),
    units: row.units === null ? null : dialect.parseJson<Record<string, string>>(row.units),
    startTime: row.start_time,
    endTime: row.end_time,
    sizeInBytes: nullableNumber(row.size_in_bytes),
    createdTime: row.created_at,
    updatedTime: row.updated_at,
    sources: row.sources === null ? null : dialect.parseJson<string[]>(row.sources),
    bbox: row.bbox === null ? null : dialect.parseJson<[number, number, number, number]>(row.bbox),
    pointCount: nullableNumber(row.point_count),
    areaM2: row.area_m2 === null ? null : Number(row.area_m2),
    warnings: dialect.parseJson<string[]>(row.warnings),
    sourceKey: row.source_key,
    outputs: dialect.parseJson<FileOutput[]>(row.outputs),
    providerFileId: row.provider_file_id,
  });
  const rowOf = (f: MachineFileRecord) => ({
    id: f.id,
    api_owner_id: f.ownerId,
    user_id: f.leafUserId,
    batch_id: f.batchId,
    source_key: f.sourceKey,
    provider: f.provider,
    origin: f.origin,
    organization_id: f.organizationId,
    file_name: f.fileName,
    file_format: f.fileFormat,
    operation_type: f.operationType,
    status: f.status,
    steps: dialect.json(f.steps),
    summary: json(f.summary),
    units: json(f.units),
    start_time: f.startTime,
    end_time: f.endTime,
    size_in_bytes: f.sizeInBytes,
    sources: json(f.sources),
    bbox: json(f.bbox),
    point_count: f.pointCount,
    area_m2: f.areaM2,
    warnings: dialect.json(f.warnings),
    outputs: dialect.json(f.outputs),
    created_at: f.createdTime,
    updated_at: f.updatedTime,
    provider_file_id: f.providerFileId ?? null,
  });

  return {
    /**
     * Inserts a file made from a batch unless the batch already has one with the same source key,
     * and returns the stored row either way: a rerun of the batch job finds the file it made.
     */
    async insertForBatch(file: MachineFileRecord & { batchId: string; sourceKey: string }): Promise<MachineFileRecord> {
      await db.insertInto('machine_files').values(rowOf(file)).onConflict((oc) => oc.columns(['batch_id', 'source_key']).doNothing()).execute();
      const row = await db.selectFrom('machine_files').selectAll().where('batch_id', '=', file.batchId).where('source_key', '=', file.sourceKey).executeTakeFirstOrThrow();
      return toFile(row);
    },
    async insert(file: MachineFileRecord, uow?: UnitOfWork): Promise<void> {
      await (uow?.db ?? db).insertInto('machine_files').values(rowOf(file)).execute();
    },
    async get(ownerId: string, id: string): Promise<MachineFileRecord | undefined> {
      const row = await db.selectFrom('machine_files').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toFile(row);
    },
    /** For the worker, which acts for whichever owner the job names. */
    async getById(id: string): Promise<MachineFileRecord | undefined> {
      const row = await db.selectFrom('machine_files').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toFile(row);
    },
    async getMany(ownerId: string, ids: readonly string[]): Promise<MachineFileRecord[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('machine_files').selectAll().where('api_owner_id', '=', ownerId).where('id', 'in', [...ids]).execute();
      return rows.map(toFile);
    },
    async listForBatch(batchId: string): Promise<MachineFileRecord[]> {
      const rows = await db.selectFrom('machine_files').selectAll().where('batch_id', '=', batchId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toFile);
    },
    async list(ownerId: string, filter: FileFilter, pageRequest: PageRequest<FileSortField>): Promise<Page<MachineFileRecord>> {
      let query = db.selectFrom('machine_files').where('api_owner_id', '=', ownerId);
      if (filter.leafUserId !== undefined) query = query.where('user_id', '=', filter.leafUserId);
      if (filter.provider !== undefined) query = query.where('provider', '=', filter.provider);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.origin !== undefined) query = query.where('origin', '=', filter.origin);
      if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
      if (filter.batchId !== undefined) query = query.where('batch_id', '=', filter.batchId);
      if (filter.createdTime !== undefined) query = query.where('created_at', '>=', filter.createdTime);
      if (filter.updatedTime !== undefined) query = query.where('updated_at', '>=', filter.updatedTime);
      if (filter.startTime !== undefined) query = query.where('start_time', '>=', filter.startTime);
      if (filter.endTime !== undefined) query = query.where('end_time', '<=', filter.endTime);
      if (filter.operationType !== undefined) query = query.where('operation_type', '=', filter.operationType);
      if (filter.minArea !== undefined) query = query.where('area_m2', '>=', filter.minArea);
      if (filter.fileId !== undefined) query = query.where('id', '=', filter.fileId);
      if (filter.fileFormat !== undefined) query = query.where('file_format', '=', filter.fileFormat);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let rows = query.selectAll();
      for (const s of pageRequest.sort) rows = rows.orderBy(COLUMN_BY_SORT[s.field], s.direction);
      // The id makes the order total, so pages never repeat or skip rows with equal sort keys.
      rows = rows.orderBy('id', 'asc').limit(pageRequest.size).offset(pageRequest.page * pageRequest.size);
      return { items: (await rows.execute()).map(toFile), total: Number(counted.n) };
    },
    /** Ids of the user's processed files, oldest first. */
    async processedIds(ownerId: string, leafUserId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('machine_files')
        .select('id')
        .where('api_owner_id', '=', ownerId)
        .where('user_id', '=', leafUserId)
        .where('status', '=', 'processed')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },
    async complete(id: string, result: MachineFileResult, uow?: UnitOfWork): Promise<boolean> {
      const set: Partial<MachineFileTable> = {
        status: result.status,
        operation_type: result.operationType,
        steps: dialect.json(result.steps),
        summary: json(result.summary),
        units: json(result.units),
        start_time: result.startTime,
        end_time: result.endTime,
        bbox: json(result.bbox),
        point_count: result.pointCount,
        area_m2: result.areaM2,
        warnings: dialect.json(result.warnings),
        outputs: dialect.json(result.outputs),
        updated_at: result.updatedAt,
      };
      if (result.fileFormat !== undefined) set.file_format = result.fileFormat;
      const updated = await (uow?.db ?? db).updateTable('machine_files').set(set).where('id', '=', id).executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },
    /** Puts a batch's failed files back to `processing`, so the batch job converts them again. */
    async reopenFailed(batchId: string, updatedAt: string): Promise<number> {
      const result = await db
        .updateTable('machine_files')
        .set({ status: 'processing', steps: dialect.json({}), updated_at: updatedAt })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
export type MachineFilesRepository = ReturnType<typeof machineFilesRepository>;
