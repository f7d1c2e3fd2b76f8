import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';

/**
 * Provider machine files (issue 5): a file the sync downloads becomes a batch of origin `provider`
 * that the upload pipeline processes, keyed by its natural key (user, provider, the provider's file
 * id and version). The unique index is what makes it exactly once: two workers downloading the
 * same file race to insert, and the loser's insert is refused, not duplicated.
 */
export async function up(db: Kysely<unknown>, _dialect: StorageDialect): Promise<void> {
  // uploaded | provider
  await db.schema.alterTable('machine_file_batches').addColumn('origin', 'text', (c) => c.notNull().defaultTo('uploaded')).execute();
  // The credential whose sync found the file; no foreign key: the files outlive a disconnection.
  await db.schema.alterTable('machine_file_batches').addColumn('credential_id', 'text').execute();
  await db.schema.alterTable('machine_file_batches').addColumn('organization_id', 'text').execute();
  await db.schema.alterTable('machine_file_batches').addColumn('provider_file_id', 'text').execute();
  await db.schema.alterTable('machine_file_batches').addColumn('provider_file_version', 'text').execute();
  // The operation the provider's listing names: used where the file itself does not say.
  await db.schema.alterTable('machine_file_batches').addColumn('provider_operation_type', 'text').execute();
  // Uploads leave the provider columns null, and nulls never collide in a unique index.
  await db.schema
    .createIndex('machine_file_batches_provider_file')
    .on('machine_file_batches')
    .columns(['user_id', 'provider', 'provider_file_id', 'provider_file_version'])
    .unique()
    .execute();
  await db.schema.alterTable('machine_files').addColumn('provider_file_id', 'text').execute();
}
