import { sql, type Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Fields (leaf-api.md 7.1; SPEC section 6): growers, farms, fields and their boundaries, and the
 * boundary-file uploads of the uploadservice. Growers and farms have integer ids, as Leaf's do;
 * field ids are strings a client may choose, so they are unique per Leaf user, not globally (a
 * global key would tell one API owner that another uses an id). Provider records carry their
 * natural key (`provider_name` + the provider's id) so a later sync updates instead of duplicating.
 * A boundary is never changed: a new geometry is a new row, and at most one row per field is ACTIVE.
 */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  const serial = dialect.serialKey;
  await db.schema
    .createTable('field_growers')
    .addColumn('id', serial.type, (c) => (serial.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('provider_name', 'text')
    .addColumn('provider_id', 'integer')
    .addColumn('provider_grower_id', 'text')
    // 1 once the grower's PREVIEW fields were asked for (POST /growers/enableSync).
    .addColumn('sync_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('field_growers_natural').on('field_growers').columns(['user_id', 'provider_name', 'provider_grower_id']).unique().execute();
  await db.schema.createIndex('field_growers_owner').on('field_growers').columns(['api_owner_id', 'created_at']).execute();

  await db.schema
    .createTable('field_farms')
    .addColumn('id', serial.type, (c) => (serial.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('grower_id', 'bigint', (c) => c.references('field_growers.id').onDelete('set null'))
    .addColumn('name', 'text')
    .addColumn('provider_name', 'text')
    .addColumn('provider_id', 'integer')
    .addColumn('provider_farm_id', 'text')
    .addColumn('provider_farm_name', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('field_farms_natural').on('field_farms').columns(['user_id', 'provider_name', 'provider_farm_id']).unique().execute();
  await db.schema.createIndex('field_farms_owner').on('field_farms').columns(['api_owner_id', 'created_at']).execute();
  await db.schema.createIndex('field_farms_grower').on('field_farms').columns(['grower_id']).execute();

  await db.schema
    .createTable('fields')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('farm_id', 'bigint', (c) => c.references('field_farms.id').onDelete('set null'))
    .addColumn('provider_name', 'text')
    .addColumn('provider_id', 'integer')
    .addColumn('provider_field_id', 'text')
    .addColumn('provider_boundary_id', 'text')
    .addColumn('provider_field_name', 'text')
    .addColumn('organization_id', 'text')
    // ORIGINAL | MERGED
    .addColumn('type', 'text', (c) => c.notNull())
    // PROCESSED | PREVIEW | WAITING (customDataSync: WAITING once enableSync was asked for)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('merged_field_id', 'text')
    .addColumn('sources', dialect.jsonType, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('fields_pk', ['user_id', 'id'])
    .execute();
  await db.schema.createIndex('fields_natural').on('fields').columns(['user_id', 'provider_name', 'provider_field_id']).unique().execute();
  await db.schema.createIndex('fields_owner_created').on('fields').columns(['api_owner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('fields_farm').on('fields').columns(['farm_id']).execute();

  await db.schema
    .createTable('field_boundaries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('field_id', 'text', (c) => c.notNull())
    // ACTIVE | INACTIVE | OUTDATED_ON_PROVIDER | DELETED_ON_PROVIDER
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_status', 'text')
    .addColumn('provider_boundary_id', 'text')
    .addColumn('geometry', dialect.jsonType, (c) => c.notNull())
    .addColumn('area_ha', 'double precision', (c) => c.notNull())
    // The bounding box, so geometry queries skip far-away boundaries in SQL before any exact test.
    .addColumn('min_lon', 'double precision', (c) => c.notNull())
    .addColumn('min_lat', 'double precision', (c) => c.notNull())
    .addColumn('max_lon', 'double precision', (c) => c.notNull())
    .addColumn('max_lat', 'double precision', (c) => c.notNull())
    .addColumn('validity', 'text', (c) => c.notNull())
    .addColumn('fix_status', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('field_boundaries_field', ['user_id', 'field_id'], 'fields', ['user_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('field_boundaries_field').on('field_boundaries').columns(['user_id', 'field_id', 'created_at']).execute();
  // The invariant "one active boundary per field" is the database's, not only the service's.
  await db.schema
    .createIndex('field_boundaries_one_active')
    .on('field_boundaries')
    .columns(['user_id', 'field_id'])
    .unique()
    // DDL takes no bound parameters: the literal is written into the statement.
    .where(sql<boolean>`status = 'ACTIVE'`)
    .execute();

  await db.schema
    .createTable('boundary_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_owner_id', 'text', (c) => c.notNull().references('api_owners.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('farm_id', 'bigint')
    .addColumn('file_name', 'text', (c) => c.notNull())
    // RECEIVED | PROCESSED | FAILED
    .addColumn('status', 'text', (c) => c.notNull())
    // JSON array of entries: { id, fieldId[], converterFormat, status, createFieldErrorDetails[], createdTime, processedTime }
    .addColumn('entries', dialect.jsonType, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('boundary_uploads_owner').on('boundary_uploads').columns(['api_owner_id', 'created_at', 'id']).execute();
}
