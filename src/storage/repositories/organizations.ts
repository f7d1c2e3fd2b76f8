import type { Kysely, Selectable } from 'kysely';
import type { OrganizationRecord, OrganizationSortField, OrganizationStatus, Page, PageRequest, SettableOrganizationStatus } from '../../domain/index.js';
import type { StorageDialect } from '../dialect/dialect.js';
import type { Database, ProviderOrganizationTable } from '../schema.js';

/** One organization as the provider listed it in a sync. */
export interface ListedOrganization {
  organizationId: string;
  name: string;
  connected: boolean;
  connectUrl: string | null;
}

/** Whose organizations a sync writes. */
export interface OrganizationsOwner {
  ownerId: string;
  userId: string;
  credentialId: string;
  provider: string;
}

/** The column of each sort field. */
const SORT_COLUMNS = { providerOrgName: 'name', providerOrgId: 'organization_id', status: 'status' } as const satisfies Record<OrganizationSortField, keyof ProviderOrganizationTable>;

/** What `setStatus` found. */
export type SetOrganizationStatusResult = { outcome: 'updated'; record: OrganizationRecord } | { outcome: 'blocked'; record: OrganizationRecord } | { outcome: 'missing' };

/** Provider organizations per credential. Every method is scoped by API owner. */
export function organizationsRepository(db: Kysely<Database>, _dialect: StorageDialect) {
  const toRecord = (row: Selectable<ProviderOrganizationTable>): OrganizationRecord => ({
    ownerId: row.api_owner_id,
    userId: row.user_id,
    credentialId: row.credential_id,
    provider: row.provider,
    organizationId: row.organization_id,
    name: row.name,
    connected: Number(row.connected) === 1,
    status: row.status as OrganizationStatus,
    connectUrl: row.connect_url,
    syncedAt: row.synced_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const ofCredential = (ownerId: string, credentialId: string) => db.selectFrom('provider_organizations').where('api_owner_id', '=', ownerId).where('credential_id', '=', credentialId);
  const find = async (ownerId: string, credentialId: string, organizationId: string) => {
    const row = await ofCredential(ownerId, credentialId).selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  };

  return {
    /** Every organization of the credential, by name. */
    async listAll(ownerId: string, credentialId: string): Promise<OrganizationRecord[]> {
      const rows = await ofCredential(ownerId, credentialId).selectAll().orderBy('name').orderBy('organization_id').execute();
      return rows.map(toRecord);
    },

    async list(ownerId: string, credentialId: string, page: PageRequest<OrganizationSortField>): Promise<Page<OrganizationRecord>> {
      const counted = await ofCredential(ownerId, credentialId).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      let query = ofCredential(ownerId, credentialId).selectAll();
      for (const { field, direction } of page.sort) query = query.orderBy(SORT_COLUMNS[field], direction);
      // The key last, so pages never overlap when the sort fields tie.
      const rows = await query.orderBy('organization_id').limit(page.size).offset(page.page * page.size).execute();
      return { total: Number(counted.n), items: rows.map(toRecord) };
    },

    get: find,

    /** How many organizations the credential has. */
    async count(ownerId: string, credentialId: string): Promise<number> {
      const counted = await ofCredential(ownerId, credentialId).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(counted.n);
    },

    /**
     * Writes one complete listing of the provider: upserts every listed organization with the
     * status `statusOf` decides from the stored one, and removes those no longer listed. Callers
     * pass only a listing that completed (every page read), so an outage never deletes anything.
     *
     * One transaction whose first statement is a write: in PostgreSQL it locks the credential's
     * rows, in SQLite it takes the write lock, so a PATCH running at the same time is applied
     * before or after the sync, never overwritten by a status the sync read before it.
     */
    async applySync(
      owner: OrganizationsOwner,
      listed: readonly ListedOrganization[],
      statusOf: (current: OrganizationStatus | undefined, organization: ListedOrganization) => OrganizationStatus,
      now: string,
    ): Promise<{ added: number; updated: number; removed: number }> {
      return db.transaction().execute(async (trx) => {
        await trx.updateTable('provider_organizations').set((eb) => ({ synced_at: eb.ref('synced_at') })).where('api_owner_id', '=', owner.ownerId).where('credential_id', '=', owner.credentialId).execute();
        const existing = new Map(
          (await trx.selectFrom('provider_organizations').select(['organization_id', 'status']).where('api_owner_id', '=', owner.ownerId).where('credential_id', '=', owner.credentialId).execute()).map((r) => [
            r.organization_id,
            r.status as OrganizationStatus,
          ]),
        );
        const seen = new Set<string>();
        let added = 0;
        for (const organization of listed) {
          // A provider listing one organization twice (across pages) writes it once.
          if (seen.has(organization.organizationId)) continue;
          seen.add(organization.organizationId);
          const current = existing.get(organization.organizationId);
          if (current === undefined) added++;
          const row = {
            api_owner_id: owner.ownerId,
            user_id: owner.userId,
            credential_id: owner.credentialId,
            provider: owner.provider,
            organization_id: organization.organizationId,
            name: organization.name,
            connected: organization.connected ? 1 : 0,
            status: statusOf(current, organization),
            connect_url: organization.connectUrl,
            synced_at: now,
            created_at: now,
            updated_at: now,
          };
          await trx
            .insertInto('provider_organizations')
            .values(row)
            .onConflict((oc) =>
              oc.columns(['credential_id', 'organization_id']).doUpdateSet({ name: row.name, connected: row.connected, status: row.status, connect_url: row.connect_url, synced_at: now, updated_at: now }),
            )
            .execute();
        }
        const gone = [...existing.keys()].filter((id) => !seen.has(id));
        if (gone.length > 0) {
          await trx.deleteFrom('provider_organizations').where('api_owner_id', '=', owner.ownerId).where('credential_id', '=', owner.credentialId).where('organization_id', 'in', gone).execute();
        }
        return { added, updated: seen.size - added, removed: gone.length };
      });
    },

    /** Sets SELECTED or PREVIEW; a BLOCKED organization is left as it is (only the provider unblocks it). */
    async setStatus(ownerId: string, credentialId: string, organizationId: string, status: SettableOrganizationStatus, now: string): Promise<SetOrganizationStatusResult> {
      const result = await db
        .updateTable('provider_organizations')
        .set({ status, updated_at: now })
        .where('api_owner_id', '=', ownerId)
        .where('credential_id', '=', credentialId)
        .where('organization_id', '=', organizationId)
        .where('status', '<>', 'BLOCKED')
        .executeTakeFirst();
      const record = await find(ownerId, credentialId, organizationId);
      if (record === undefined) return { outcome: 'missing' };
      return result.numUpdatedRows > 0n ? { outcome: 'updated', record } : { outcome: 'blocked', record };
    },
  };
}
export type OrganizationsRepository = ReturnType<typeof organizationsRepository>;
