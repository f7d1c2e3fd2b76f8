import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Machine files (SPEC section 7; leaf-api.md 7.3 and 7.7): upload batches and the files made from
 * them (or from providers, or by merging). The bytes live in the blob store; rows hold metadata,
 * status, summary and units.
 */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('machine_file_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    // RECEIVED | PROCESSING | PROCESSED | FAILED
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_details', 'text')
    .addColumn('status_reason', 'text')
    .addColumn('upload_timestamp', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('machine_file_batches_owner_uploaded').on('machine_file_batches').columns(['api_owner_id', 'upload_timestamp', 'id']).execute();
  await db.schema.createIndex('machine_file_batches_user').on('machine_file_batches').columns(['user_id']).execute();

  await db.schema
    .createTable('machine_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('batch_id', 'text', (c) => c.references('machine_file_batches.id').onDelete('cascade'))
    // The dataset and log inside the batch's upload (`path#ordinal`); with the batch, the natural
    // key that keeps a rerun of the batch job from creating the same file twice.
    .addColumn('source_key', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    // provider | uploaded | merged | automerged
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text')
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_format', 'text')
    .addColumn('operation_type', 'text')
    // processing | processed | failed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('steps', dialect.jsonType, (c) => c.notNull())
    .addColumn('summary', dialect.jsonType)
    .addColumn('units', dialect.jsonType)
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('size_in_bytes', 'bigint')
    .addColumn('sources', dialect.jsonType)
    .addColumn('bbox', dialect.jsonType)
    .addColumn('point_count', 'bigint')
    .addColumn('area_m2', 'double precision')
    .addColumn('warnings', dialect.jsonType, (c) => c.notNull())
    // JSON array of the outputs present in the blob store (standardGeojson, standardGeoparquet).
    .addColumn('outputs', dialect.jsonType, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('machine_files_batch_source').on('machine_files').columns(['batch_id', 'source_key']).unique().execute();
  await db.schema.createIndex('machine_files_owner_created').on('machine_files').columns(['api_owner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('machine_files_user').on('machine_files').columns(['user_id', 'status']).execute();
}
