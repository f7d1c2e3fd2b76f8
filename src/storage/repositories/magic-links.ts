import type { Kysely, Selectable } from 'kysely';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database, MagicLinkTable } from '../schema.js';

/** Leaf's link kinds (`widget`, leaf-api.md 6.4). */
export type MagicLinkWidget = 'PROVIDER' | 'AUTHENTICATION' | 'FILEUPLOAD';

/** A Magic Link as stored. */
export interface MagicLinkRecord {
  id: string;
  ownerId: string;
  userId: string;
  widget: MagicLinkWidget;
  /** Provider ids (PROVIDER links). */
  allowedProviders: string[] | null;
  /** The provider id (AUTHENTICATION links). */
  provider: string | null;
  settings: Record<string, unknown>;
  maxUsage: number;
  usageCount: number;
  createdAt: string;
  expiresAt: string;
  lastAccessedAt: string | null;
  deletedAt: string | null;
  /** Widget sessions: the app page to return to after a provider's consent page. */
  returnUrl: string | null;
}

/** Magic Links, their usage count and their tombstones. */
export function magicLinksRepository(db: Kysely<Database>, dialect: StorageDialect) {
  const toRecord = (row: Selectable<MagicLinkTable>): MagicLinkRecord => ({
    id: row.id,
    ownerId: row.api_owner_id,
    userId: row.user_id,
    widget: row.widget as MagicLinkWidget,
    allowedProviders: row.allowed_providers === null ? null : dialect.parseJson<string[]>(row.allowed_providers),
    provider: row.provider,
    settings: dialect.parseJson<Record<string, unknown>>(row.settings),
    maxUsage: Number(row.max_usage),
    usageCount: Number(row.usage_count),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastAccessedAt: row.last_accessed_at,
    deletedAt: row.deleted_at,
    returnUrl: row.return_url,
  });
  return {
    async insert(record: MagicLinkRecord): Promise<void> {
      await db
        .insertInto('magic_links')
        .values({
          id: record.id,
          api_owner_id: record.ownerId,
          user_id: record.userId,
          widget: record.widget,
          allowed_providers: record.allowedProviders === null ? null : dialect.json(record.allowedProviders),
          provider: record.provider,
          settings: dialect.json(record.settings),
          max_usage: record.maxUsage,
          usage_count: record.usageCount,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
          last_accessed_at: record.lastAccessedAt,
          deleted_at: record.deletedAt,
          return_url: record.returnUrl,
        })
        .execute();
    },
    /** Any link by id, deleted or not (the page tells the cases apart). */
    async findById(id: string): Promise<MagicLinkRecord | undefined> {
      const row = await db.selectFrom('magic_links').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async listForOwner(ownerId: string, widget: MagicLinkWidget): Promise<MagicLinkRecord[]> {
      const rows = await db.selectFrom('magic_links').selectAll().where('api_owner_id', '=', ownerId).where('widget', '=', widget).where('deleted_at', 'is', null).where('return_url', 'is', null).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      return rows.map(toRecord);
    },
    async markDeleted(ownerId: string, id: string, widget: MagicLinkWidget, at: string): Promise<boolean> {
      const result = await db.updateTable('magic_links').set({ deleted_at: at }).where('api_owner_id', '=', ownerId).where('id', '=', id).where('widget', '=', widget).where('deleted_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async touch(id: string, at: string): Promise<void> {
      await db.updateTable('magic_links').set({ last_accessed_at: at }).where('id', '=', id).execute();
    },
    /**
     * Counts one use if the link is live and has uses left: a compare-and-set, so two growers
     * finishing at once cannot both take the last use.
     */
    async claimUse(id: string, now: string): Promise<boolean> {
      const result = await db
        .updateTable('magic_links')
        .set((eb) => ({ usage_count: eb('usage_count', '+', 1), last_accessed_at: now }))
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .where('expires_at', '>', now)
        .where((eb) => eb('usage_count', '<', eb.ref('max_usage')))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /** Gives back a use claimed for a connection that then failed. */
    async releaseUse(id: string): Promise<void> {
      await db.updateTable('magic_links').set((eb) => ({ usage_count: eb('usage_count', '-', 1) })).where('id', '=', id).where('usage_count', '>', 0).execute();
    },
    /**
     * Deletes links that expired, or were deleted, before `before`, and widget sessions (one per
     * widget shown, never listed) that expired before `sessionsBefore`. Their OAuth states go with them.
     */
    async purge(before: string, sessionsBefore: string): Promise<number> {
      const result = await db
        .deleteFrom('magic_links')
        .where((eb) => eb.or([eb('expires_at', '<', before), eb('deleted_at', '<', before), eb.and([eb('return_url', 'is not', null), eb('expires_at', '<', sessionsBefore)])]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type MagicLinksRepository = ReturnType<typeof magicLinksRepository>;
