import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Field operations (SPEC section 8; leaf-api.md 7.2 and 7.8): where each processed machine file's
 * points fell among the user's field boundaries (`file_allocations`, `file_fields`), and the
 * operations made by grouping files per field, type, crop, provider and time (`field_operations`,
 * `field_operation_files`, `field_operation_fields` with coverage). Field ids are not foreign keys:
 * fields live in the Fields service's tables and a deleted field only drops out at the next refresh.
 */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  // One row per allocated file; a file without one is due for allocation (new, or its boundaries changed).
  await db.schema
    .createTable('file_allocations')
    .addColumn('file_id', 'text', (c) => c.primaryKey().references('machine_files.id').onDelete('cascade'))
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('total_points', 'bigint', (c) => c.notNull())
    .addColumn('outside_points', 'bigint', (c) => c.notNull())
    .addColumn('allocated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('file_allocations_user').on('file_allocations').columns(['user_id']).execute();

  // Every field a file has points in, with its share of the file's points (0-1).
  await db.schema
    .createTable('file_fields')
    .addColumn('file_id', 'text', (c) => c.notNull().references('machine_files.id').onDelete('cascade'))
    .addColumn('field_id', 'text', (c) => c.notNull())
    .addColumn('boundary_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('share', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_fields_pk', ['file_id', 'field_id'])
    .execute();
  await db.schema.createIndex('file_fields_user_field').on('file_fields').columns(['user_id', 'field_id']).execute();

  await db.schema
    .createTable('field_operations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // harvested | planted | applied | tillage
    .addColumn('operation_type', 'text', (c) => c.notNull())
    // The grouping key (field, type, crop, provider, till type) as text: what made these files one operation.
    .addColumn('group_key', 'text', (c) => c.notNull())
    // processing | processed | failed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    // Bumped by every change of membership, boundaries or configuration; a build writes only the revision it read.
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('built_revision', 'integer')
    // Hash of the configuration keys the outputs depend on: a change rebuilds the operation.
    .addColumn('config_hash', 'text', (c) => c.notNull())
    .addColumn('providers', dialect.jsonType, (c) => c.notNull())
    .addColumn('summary', dialect.jsonType)
    .addColumn('units', dialect.jsonType)
    .addColumn('outputs', dialect.jsonType, (c) => c.notNull())
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('field_operations_owner_user').on('field_operations').columns(['api_owner_id', 'user_id', 'start_time']).execute();

  await db.schema
    .createTable('field_operation_files')
    .addColumn('operation_id', 'text', (c) => c.notNull().references('field_operations.id').onDelete('cascade'))
    .addColumn('file_id', 'text', (c) => c.notNull().references('machine_files.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('field_operation_files_pk', ['operation_id', 'file_id'])
    .execute();
  await db.schema.createIndex('field_operation_files_file').on('field_operation_files').columns(['file_id']).execute();

  await db.schema
    .createTable('field_operation_fields')
    .addColumn('operation_id', 'text', (c) => c.notNull().references('field_operations.id').onDelete('cascade'))
    .addColumn('field_id', 'text', (c) => c.notNull())
    .addColumn('boundary_id', 'text', (c) => c.notNull())
    // Percent (0-100) of the field's area covered by the operation's swaths; null until built.
    .addColumn('coverage', 'double precision')
    .addPrimaryKeyConstraint('field_operation_fields_pk', ['operation_id', 'field_id'])
    .execute();
  await db.schema.createIndex('field_operation_fields_field').on('field_operation_fields').columns(['field_id']).execute();

  // One refresh per user at a time, across processes: two concurrent regroupings would both create
  // the same new operation. The holder renews its lease as it goes; an expired lease is taken over.
  await db.schema
    .createTable('field_operation_refresh_leases')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('holder', 'text')
    .addColumn('lease_until', 'text')
    .execute();
}
