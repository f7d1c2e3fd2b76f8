/**
 * The sync engine's first slice (issue 5; SPEC section 6): one credential's organizations,
 * growers, farms, fields and boundaries, read through the provider's `ProviderSync` listings and
 * written into the Fields store by natural key (the provider's id). An unchanged record (same
 * `version` as last written) causes no write; a changed boundary goes through the Fields service's
 * own boundary path (new ACTIVE row, old one INACTIVE, `fieldBoundaryUpdated`); fields missing from
 * a listing are deleted only when the listing was complete, never after an incremental one.
 * Each run is recorded with its counts, errors and the cursors the next run resumes from.
 */
import crypto from 'node:crypto';
import { FurrowError, nowIso, type CredentialRecord, type OwnerContext } from '../domain/index.js';
import { alertEvent } from '../alerts/index.js';
import type { AdapterContext, Provider, ProviderCredential } from '../providers/provider.js';
import type { SyncField, SyncScope, ProviderSync } from '../providers/sync-data.js';
import type { CredentialsRepository } from '../storage/repositories/credentials.js';
import type { FieldsRepository } from '../storage/repositories/fields.js';
import type { SyncCounts, SyncRecord, SyncRecordKind, SyncRepository, SyncRun } from '../storage/repositories/sync.js';
import type { AlertOutbox } from './alerts.js';
import type { CredentialsService } from './credentials.js';
import type { FieldsService } from './fields.js';

/** What the sync service asks of the job queue; `jobs/sync-jobs.ts` implements it. */
export interface SyncJobs {
  /** Makes sure one sync of the credential is pending (keyed per credential). */
  syncCredential(credentialId: string): Promise<void>;
}

export interface SyncService {
  /**
   * Syncs one credential now and returns the run's record; `undefined` when the credential is gone
   * or its provider has no sync listings. Provider failures end the run FAILED and are rethrown,
   * so the job retries with backoff.
   */
  syncCredential(credentialId: string, options?: { signal?: AbortSignal }): Promise<SyncRun | undefined>;
  /** Enqueues a sync of the credential when its provider can sync (a credential just connected). */
  requestCredentialSync(record: Pick<CredentialRecord, 'id' | 'provider'>): Promise<boolean>;
  /** Enqueues a sync of each of the user's credentials whose provider can sync; returns how many. */
  requestUserSync(owner: OwnerContext, userId: string): Promise<number>;
  /** A credential's runs, newest first. */
  listRuns(credentialId: string): Promise<SyncRun[]>;
}

export interface SyncServiceOptions {
  credentialRecords: Pick<CredentialsRepository, 'findById' | 'listForUser'>;
  credentials: Pick<CredentialsService, 'withAccessToken'>;
  providers: Readonly<Record<string, Provider>>;
  sync: SyncRepository;
  fieldRows: Pick<FieldsRepository, 'insertGrower' | 'updateGrower' | 'insertFarm' | 'updateFarm' | 'insertField' | 'updateField' | 'deleteField'>;
  fields: Pick<FieldsService, 'applyProviderBoundary' | 'assertUser'>;
  alerts: AlertOutbox;
  jobs: SyncJobs;
  clock?: () => number;
}

type CountKey = keyof SyncRun['counts'];
const zero = (): SyncCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0 });

/** Whether a provider can be synced: its adapter carries the sync listings. */
export function syncOf(provider: Provider | undefined): ProviderSync | undefined {
  return provider?.adapter?.sync as ProviderSync | undefined;
}

export function syncService(deps: SyncServiceOptions): SyncService {
  const clock = deps.clock ?? Date.now;
  const { sync: store, fieldRows } = deps;

  /** The state of one run: what it found written before, and what it counts. */
  async function runOne(record: CredentialRecord, provider: Provider, adapter: ProviderSync, signal: AbortSignal | undefined): Promise<SyncRun> {
    const owner: OwnerContext = { ownerId: record.ownerId, username: `sync:${record.id}` };
    const userId = record.userId;
    const providerName = provider.apiName;
    const run: SyncRun = {
      id: crypto.randomUUID(),
      credentialId: record.id,
      startedAt: nowIso(clock),
      finishedAt: null,
      status: 'RUNNING',
      counts: { growers: zero(), farms: zero(), fields: zero(), boundaries: zero() },
      errors: [],
      cursors: await store.cursors(record.id),
    };
    await store.insertRun(run);
    const known = {
      grower: await store.records(record.id, 'grower'),
      farm: await store.records(record.id, 'farm'),
      field: await store.records(record.id, 'field'),
      boundary: await store.records(record.id, 'boundary'),
    } satisfies Record<SyncRecordKind, Map<string, SyncRecord>>;
    const count = (kind: CountKey, what: keyof SyncCounts) => void (run.counts[kind][what] += 1);
    const remember = async (kind: SyncRecordKind, providerId: string, value: SyncRecord) => {
      await store.saveRecord(record.id, kind, providerId, value);
      known[kind].set(providerId, value);
    };
    /** The local id of a record: from this credential's syncs, else by natural key (adopted). */
    const localOf = async (kind: Exclude<SyncRecordKind, 'boundary'>, providerId: string) => known[kind].get(providerId)?.localId ?? (await store.localIdByNaturalKey(userId, providerName, kind, providerId));

    const withToken = <T>(fn: (credential: ProviderCredential, ctx: AdapterContext) => Promise<T>) => deps.credentials.withAccessToken(record.id, fn);

    async function syncOrganization(organization: SyncScope, credential: ProviderCredential, ctx: AdapterContext): Promise<void> {
      for await (const grower of adapter.listGrowers(credential, ctx, organization)) {
        signal?.throwIfAborted();
        const previous = known.grower.get(grower.providerId);
        if (previous?.version === grower.version) {
          count('growers', 'unchanged');
          continue;
        }
        const now = nowIso(clock);
        const local = await localOf('grower', grower.providerId);
        if (local === undefined) {
          const id = await fieldRows.insertGrower(owner.ownerId, userId, { name: grower.name, providerName, providerGrowerId: grower.providerId }, now);
          await remember('grower', grower.providerId, { version: grower.version, localId: String(id) });
          count('growers', 'created');
        } else {
          await fieldRows.updateGrower(owner.ownerId, userId, Number(local), grower.name, now);
          await remember('grower', grower.providerId, { version: grower.version, localId: local });
          count('growers', 'updated');
        }
      }
      for await (const farm of adapter.listFarms(credential, ctx, organization)) {
        signal?.throwIfAborted();
        const previous = known.farm.get(farm.providerId);
        if (previous?.version === farm.version) {
          count('farms', 'unchanged');
          continue;
        }
        const now = nowIso(clock);
        const growerLocal = farm.growerId === undefined ? undefined : await localOf('grower', farm.growerId);
        const growerId = growerLocal === undefined ? null : Number(growerLocal);
        const local = await localOf('farm', farm.providerId);
        if (local === undefined) {
          const id = await fieldRows.insertFarm(owner.ownerId, userId, { name: farm.name, growerId, providerName, providerFarmId: farm.providerId, providerFarmName: farm.name }, now);
          await remember('farm', farm.providerId, { version: farm.version, localId: String(id) });
          count('farms', 'created');
        } else {
          await fieldRows.updateFarm(owner.ownerId, userId, Number(local), { name: farm.name, growerId }, now);
          await remember('farm', farm.providerId, { version: farm.version, localId: local });
          count('farms', 'updated');
        }
      }

      const cursorsOfOrg = run.cursors[organization.providerId] ?? {};
      const listing = adapter.listFields(credential, ctx, organization, { since: cursorsOfOrg['fields'] });
      const seen = new Set<string>();
      for await (const field of listing.items) {
        signal?.throwIfAborted();
        seen.add(field.providerId);
        try {
          await syncField(organization, field, credential, ctx);
        } catch (error) {
          // One provider record that cannot be stored (an invalid boundary) must not stop the others.
          if (!(error instanceof FurrowError)) throw error;
          run.errors.push({ kind: 'field', providerId: field.providerId, message: error.message });
        }
      }
      if (listing.complete) {
        // Only a complete listing says what no longer exists; an incremental one lists changes.
        for (const [providerId, value] of known.field) {
          if (seen.has(providerId) || !value.localId.startsWith(`${organization.providerId}/`)) continue;
          await fieldRows.deleteField(owner.ownerId, userId, fieldIdOf(value.localId));
          await store.deleteRecord(record.id, 'field', providerId);
          await store.deleteRecord(record.id, 'boundary', providerId);
          known.field.delete(providerId);
          count('fields', 'deleted');
        }
      }
      const cursor = listing.cursor();
      if (cursor !== undefined) run.cursors[organization.providerId] = { ...cursorsOfOrg, fields: cursor };
    }

    async function syncField(organization: SyncScope, field: SyncField, credential: ProviderCredential, ctx: AdapterContext): Promise<void> {
      const previous = known.field.get(field.providerId);
      if (previous?.version === field.version) {
        count('fields', 'unchanged');
        return;
      }
      const now = nowIso(clock);
      const farmLocal = field.farmId === undefined ? undefined : await localOf('farm', field.farmId);
      const farmId = farmLocal === undefined ? null : Number(farmLocal);
      let fieldId = previous === undefined ? await localOf('field', field.providerId) : fieldIdOf(previous.localId);
      if (fieldId === undefined) {
        fieldId = crypto.randomUUID();
        const id = fieldId;
        await deps.alerts.transact(async (uow) => {
          await fieldRows.insertField(
            {
              id,
              ownerId: owner.ownerId,
              leafUserId: userId,
              name: field.name,
              farmId,
              provider: { providerName, providerId: null, providerFieldId: field.providerId, providerBoundaryId: field.activeBoundaryId ?? null, providerFieldName: field.name, organizationId: organization.providerId },
              type: 'ORIGINAL',
              status: 'PROCESSED',
              mergedFieldId: null,
              sources: [],
              createdTime: now,
              updatedTime: now,
            },
            uow,
          );
          await deps.alerts.emit(uow, alertEvent('fieldCreated', owner.ownerId, { source: 'SYNC', leafUserId: userId, fieldId: id }));
        });
        count('fields', 'created');
      } else {
        await fieldRows.updateField(owner.ownerId, userId, fieldId, { name: field.name, farmId }, now);
        await store.updateProviderField(userId, fieldId, { providerBoundaryId: field.activeBoundaryId ?? null, providerFieldName: field.name, organizationId: organization.providerId }, now);
        count('fields', 'updated');
      }

      const boundaries = await adapter.listBoundaries(credential, ctx, organization, field);
      const active = boundaries.find((b) => b.active);
      if (active !== undefined) {
        const version = `${active.providerId}/${active.version}`;
        if (known.boundary.get(field.providerId)?.version === version) {
          count('boundaries', 'unchanged');
        } else {
          const created = !known.boundary.has(field.providerId);
          const boundary = await deps.fields.applyProviderBoundary(owner, userId, fieldId, { geometry: active.geometry, providerBoundaryId: active.providerId });
          await remember('boundary', field.providerId, { version, localId: boundary.id });
          count('boundaries', created ? 'created' : 'updated');
        }
      }
      // Written last: a run that dies before this point lists the field again next time.
      await remember('field', field.providerId, { version: field.version, localId: `${organization.providerId}/${fieldId}` });
    }

    try {
      const organizations = await withToken((credential, ctx) => adapter.listOrganizations(credential, ctx));
      for (const organization of organizations.filter((o) => o.connected)) {
        await withToken((credential, ctx) => syncOrganization(organization, credential, ctx));
      }
      run.status = run.errors.length === 0 ? 'SUCCEEDED' : 'PARTIAL';
      await store.saveCursors(record.id, run.cursors, nowIso(clock));
    } catch (error) {
      run.status = 'FAILED';
      run.errors.push({ kind: 'run', providerId: null, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      run.finishedAt = nowIso(clock);
      await store.finishRun(run);
    }
    return run;
  }

  return {
    async syncCredential(credentialId, options = {}) {
      const record = await deps.credentialRecords.findById(credentialId);
      if (record === undefined) return undefined;
      const provider = deps.providers[record.provider];
      const adapter = syncOf(provider);
      if (provider === undefined || adapter === undefined) return undefined;
      return runOne(record, provider, adapter, options.signal);
    },
    async requestCredentialSync(record) {
      if (syncOf(deps.providers[record.provider]) === undefined) return false;
      await deps.jobs.syncCredential(record.id);
      return true;
    },
    async requestUserSync(owner, userId) {
      await deps.fields.assertUser(owner, userId);
      const records = await deps.credentialRecords.listForUser(owner.ownerId, userId);
      let queued = 0;
      for (const record of records) {
        if (syncOf(deps.providers[record.provider]) === undefined) continue;
        await deps.jobs.syncCredential(record.id);
        queued += 1;
      }
      return queued;
    },
    listRuns: (credentialId) => deps.sync.listRuns(credentialId),
  };
}

/**
 * A synced field's record keeps its organization with its Furrow id (`<org>/<field id>`), so a
 * complete listing of one organization deletes only that organization's missing fields. Synced
 * field ids are UUIDs, so the last `/` separates the two.
 */
function fieldIdOf(localId: string): string {
  return localId.slice(localId.lastIndexOf('/') + 1);
}
