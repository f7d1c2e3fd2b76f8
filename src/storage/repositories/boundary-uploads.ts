import type { Kysely, Selectable } from 'kysely';
import type { BoundaryUpload, BoundaryUploadEntry, BoundaryUploadStatus, Page, PageRequest } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { BoundaryUploadTable, Database } from '../schema.js';

/** Boundary-file uploads of the uploadservice, with their entries; scoped by API owner. */
export function boundaryUploadsRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toUpload = (row: Selectable<BoundaryUploadTable>): BoundaryUpload => ({
    id: row.id,
    leafUserId: row.user_id,
    farmId: row.farm_id === null ? null : Number(row.farm_id),
    fileName: row.file_name,
    status: row.status as BoundaryUploadStatus,
    entries: dialect.parseJson<BoundaryUploadEntry[]>(row.entries),
    createdTime: row.created_at,
  });
  return {
    async insert(ownerId: string, upload: BoundaryUpload): Promise<void> {
      await db
        .insertInto('boundary_uploads')
        .values({
          id: upload.id,
          api_owner_id: ownerId,
          user_id: upload.leafUserId,
          farm_id: upload.farmId,
          file_name: upload.fileName,
          status: upload.status,
          entries: dialect.json(upload.entries),
          created_at: upload.createdTime,
        })
        .execute();
    },
    async get(ownerId: string, id: string): Promise<BoundaryUpload | undefined> {
      const row = await db.selectFrom('boundary_uploads').selectAll().where('api_owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toUpload(row);
    },
    async list(ownerId: string, leafUserId: string | undefined, page: PageRequest): Promise<Page<BoundaryUpload>> {
      let query = db.selectFrom('boundary_uploads').where('api_owner_id', '=', ownerId);
      if (leafUserId !== undefined) query = query.where('user_id', '=', leafUserId);
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      const rows = await query.selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').limit(page.size).offset(page.page * page.size).execute();
      return { items: rows.map(toUpload), total: Number(counted.n) };
    },
  };
}
export type BoundaryUploadsRepository = ReturnType<typeof boundaryUploadsRepository>;
