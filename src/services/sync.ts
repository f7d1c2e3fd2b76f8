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
import { FurrowError, effectiveConfiguration, nowIso, syncedOrganizationStatus, type ConfigurationValues, type CredentialRecord, type OwnerContext } from '../domain/index.js';
import { alertEvent } from '../alerts/index.js';
import { politeContext } from '../providers/polite-context.js';
import type { AdapterContext, Provider, ProviderCredential } from '../providers/provider.js';
import type { SyncField, SyncOrganization, SyncScope, ProviderSync } from '../providers/sync-data.js';
import type { ConfigurationsRepository } from '../storage/repositories/configurations.js';
import type { CredentialsRepository } from '../storage/repositories/credentials.js';
import type { OrganizationsRepository } from '../storage/repositories/organizations.js';
import type { FieldsRepository } from '../storage/repositories/fields.js';
import type { SyncCounts, SyncRecord, SyncRecordKind, SyncRepository, SyncRun } from '../storage/repositories/sync.js';
import type { AlertOutbox } from './alerts.js';
import type { CredentialsService } from './credentials.js';
import type { FieldsService } from './fields.js';
import type { SyncEventsService } from './sync-events.js';
import type { SyncFilesStep } from './sync-files.js';

/** What the sync service asks of the job queue; `jobs/sync-jobs.ts` implements it. */
export interface SyncJobs {
  /** Makes sure one sync of the credential is pending (keyed per credential), due at `runAt` (default now). */
  syncCredential(credentialId: string, options?: { runAt?: Date }): Promise<void>;
}

/**
 * [I] How long a run holds its credential's lease without renewing it: a run renews it every third
 * of this while it works, so only a run whose process died lets it lapse, and the retried job
 * resumes at most this long after the crash.
 */
export const SYNC_LEASE_MS = 60_000;

export interface SyncService {
  /**
   * Syncs one credential now and returns the run's record; `undefined` when the credential is gone
   * or its provider has no sync listings. Provider failures end the run FAILED and are rethrown,
   * so the job retries with backoff.
   */
  syncCredential(credentialId: string, options?: { signal?: AbortSignal }): Promise<SyncRun | undefined>;
  /** Enqueues a sync of the credential when its provider can sync (a credential just connected). */
  requestCredentialSync(record: Pick<CredentialRecord, 'id' | 'provider'>): Promise<boolean>;
  /**
   * Enqueues a sync of each of the user's credentials whose provider can sync; returns how many.
   * `fields` marks it a manual fields sync (`POST fields/sync`), which syncs fields and boundaries
   * even where `fieldsAutoSync` is off.
   */
  requestUserSync(owner: OwnerContext, userId: string, options?: { fields?: boolean }): Promise<number>;
  /** A credential's runs, newest first. */
  listRuns(credentialId: string): Promise<SyncRun[]>;
  /** The runs of the user's credential of a provider, newest first (at most 20); `not_found` as for the credential. */
  runsOf(owner: OwnerContext, userId: string, providerId: string): Promise<SyncRun[]>;
}

export interface SyncServiceOptions {
  credentialRecords: Pick<CredentialsRepository, 'findById' | 'listForUser'>;
  credentials: Pick<CredentialsService, 'withAccessToken' | 'get'>;
  providers: Readonly<Record<string, Provider>>;
  sync: SyncRepository;
  fieldRows: Pick<FieldsRepository, 'insertGrower' | 'updateGrower' | 'insertFarm' | 'updateFarm' | 'insertField' | 'updateField' | 'deleteField'>;
  fields: Pick<FieldsService, 'applyProviderBoundary' | 'assertUser' | 'activeBoundary'>;
  /** The user's effective configuration decides what a run fetches (organizationDataSync, customDataSync, fieldsAutoSync). */
  configurations: Pick<ConfigurationsRepository, 'getOwner' | 'getUser'>;
  /** Organizations are stored with their SELECTED / PREVIEW / BLOCKED status, which decides which are synced. */
  organizations: Pick<OrganizationsRepository, 'applySync' | 'listAll'>;
  alerts: AlertOutbox;
  jobs: SyncJobs;
  /** Provider event subscriptions, made at the start of each run (`sync-events.ts`); absent: none are made. */
  events?: Pick<SyncEventsService, 'ensureSubscriptions'> | undefined;
  clock?: () => number;
  /** The machine-files step (`sync-files.ts`), run per organization after its fields; absent: files are not synced. */
  files?: SyncFilesStep | undefined;
}

type CountKey = keyof SyncRun['counts'];
/** [I] Fields synced at once within a run: enough to overlap calls and writes, few enough to stay polite. */
const FIELD_CONCURRENCY = 4;
/** [I] How often a sync that found its credential's lease held looks again. */
const LEASE_POLL_MS = 5_000;
const zero = (): SyncCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0 });

/** Whether a provider can be synced: its adapter carries the sync listings. */
export function syncOf(provider: Provider | undefined): ProviderSync | undefined {
  return provider?.adapter?.sync as ProviderSync | undefined;
}

export function syncService(deps: SyncServiceOptions): SyncService {
  const clock = deps.clock ?? Date.now;
  const { sync: store, fieldRows } = deps;

  /**
   * One run of a credential, under its lease: `undefined` when another run holds the lease, in
   * which case the sync is queued again for when that run should have ended (checked every few
   * seconds, so an event that arrives during a run is served right after it).
   */
  async function runOne(record: CredentialRecord, provider: Provider, adapter: ProviderSync, signal: AbortSignal | undefined): Promise<SyncRun | undefined> {
    const runId = crypto.randomUUID();
    const leaseEnd = () => new Date(clock() + SYNC_LEASE_MS).toISOString();
    if (!(await store.claimLease(record.id, runId, nowIso(clock), leaseEnd()))) {
      const until = Date.parse((await store.leaseUntil(record.id)) ?? nowIso(clock));
      await deps.jobs.syncCredential(record.id, { runAt: new Date(Math.min(until + 1000, clock() + LEASE_POLL_MS)) });
      return undefined;
    }
    let renewedAt = clock();
    /** Called between records: stops on shutdown, renews the lease, and stops when it was lost. */
    const keepLease = async () => {
      signal?.throwIfAborted();
      if (clock() - renewedAt < SYNC_LEASE_MS / 3) return;
      if (!(await store.renewLease(record.id, runId, leaseEnd()))) throw new Error(`Sync run ${runId} lost the lease of credential ${record.id} (it ran out and another run took it); stopping.`);
      renewedAt = clock();
    };
    try {
      return await leasedRun(record, provider, adapter, runId, keepLease, signal);
    } finally {
      await store.releaseLease(record.id, runId);
    }
  }

  /** The state of one run: what it found written before, and what it counts. */
  async function leasedRun(record: CredentialRecord, provider: Provider, adapter: ProviderSync, runId: string, keepLease: () => Promise<void>, signal: AbortSignal | undefined): Promise<SyncRun> {
    const owner: OwnerContext = { ownerId: record.ownerId, username: `sync:${record.id}` };
    const userId = record.userId;
    const providerName = provider.apiName;
    const run: SyncRun = {
      id: runId,
      credentialId: record.id,
      startedAt: nowIso(clock),
      finishedAt: null,
      status: 'RUNNING',
      counts: { growers: zero(), farms: zero(), fields: zero(), boundaries: zero(), files: zero() },
      errors: [],
      cursors: await store.cursors(record.id),
    };
    // Holding the lease, this is the only run: one still RUNNING died with its process.
    await store.abandonRuns(record.id, run.startedAt);
    await store.insertRun(run);
    const configuration: ConfigurationValues = effectiveConfiguration(await deps.configurations.getOwner(record.ownerId), await deps.configurations.getUser(record.ownerId, userId));
    // fieldsAutoSync off: fields and boundaries only when asked for (POST fields/sync).
    const fieldsRequestedAt = await store.fieldsRequestedAt(record.id);
    const syncFields = configuration.fieldsAutoSync || fieldsRequestedAt !== undefined;
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
    const localOf = async (kind: Exclude<SyncRecordKind, 'boundary'>, providerId: string) => {
      const local = known[kind].get(providerId)?.localId;
      return local === undefined ? await store.localIdByNaturalKey(userId, providerName, kind, providerId) : localIdOf(local);
    };

    const withToken = <T>(fn: (credential: ProviderCredential, ctx: AdapterContext) => Promise<T>) => deps.credentials.withAccessToken(record.id, (credential, ctx) => fn(credential, politeContext(ctx, { provider, credential, signal })));

    /**
     * Growers or farms this credential synced from the organization that its (always complete)
     * listing no longer has: deleted, their farms and fields kept without them.
     */
    async function deleteMissing(kind: 'grower' | 'farm', organization: SyncScope, seen: ReadonlySet<string>): Promise<void> {
      for (const [providerId, value] of known[kind]) {
        if (seen.has(providerId) || !value.localId.startsWith(`${organization.providerId}/`)) continue;
        const id = Number(localIdOf(value.localId));
        await (kind === 'grower' ? store.deleteGrower(userId, id) : store.deleteFarm(userId, id));
        await store.deleteRecord(record.id, kind, providerId);
        known[kind].delete(providerId);
        count(kind === 'grower' ? 'growers' : 'farms', 'deleted');
      }
    }

    async function syncOrganization(organization: SyncScope, credential: ProviderCredential, ctx: AdapterContext): Promise<void> {
      const scoped = (id: number | string) => `${organization.providerId}/${id}`;
      const growersSeen = new Set<string>();
      for await (const grower of adapter.listGrowers(credential, ctx, organization)) {
        await keepLease();
        growersSeen.add(grower.providerId);
        const previous = known.grower.get(grower.providerId);
        if (previous?.version === grower.version) {
          count('growers', 'unchanged');
          continue;
        }
        const now = nowIso(clock);
        const local = await localOf('grower', grower.providerId);
        if (local === undefined) {
          const id = await fieldRows.insertGrower(owner.ownerId, userId, { name: grower.name, providerName, providerGrowerId: grower.providerId }, now);
          await remember('grower', grower.providerId, { version: grower.version, localId: scoped(id) });
          count('growers', 'created');
        } else {
          await fieldRows.updateGrower(owner.ownerId, userId, Number(local), grower.name, now);
          await remember('grower', grower.providerId, { version: grower.version, localId: scoped(local) });
          count('growers', 'updated');
        }
      }
      const farmsSeen = new Set<string>();
      for await (const farm of adapter.listFarms(credential, ctx, organization)) {
        await keepLease();
        farmsSeen.add(farm.providerId);
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
          await remember('farm', farm.providerId, { version: farm.version, localId: scoped(id) });
          count('farms', 'created');
        } else {
          await fieldRows.updateFarm(owner.ownerId, userId, Number(local), { name: farm.name, growerId }, now);
          await remember('farm', farm.providerId, { version: farm.version, localId: scoped(local) });
          count('farms', 'updated');
        }
      }

      if (syncFields) await syncOrganizationFields(organization, credential, ctx);
      await deleteMissing('farm', organization, farmsSeen);
      await deleteMissing('grower', organization, growersSeen);
      await deps.files?.syncOrganization({ record, providerName, adapter, organization, credential, ctx, run, configuration, keepLease });
    }

    async function syncOrganizationFields(organization: SyncScope, credential: ProviderCredential, ctx: AdapterContext): Promise<void> {
      // customDataSync: PREVIEW fields wait for enableSync; WAITING ones are fetched in full now.
      // With customDataSync off, PREVIEW fields left from when it was on are fetched in full too.
      const pending = new Map<string, { id: string; providerFieldId: string; providerBoundaryId: string | null }>();
      for (const status of configuration.customDataSync ? ['WAITING'] : ['WAITING', 'PREVIEW']) {
        for (const field of await store.fieldsInStatus(userId, providerName, organization.providerId, status)) pending.set(field.providerFieldId, field);
      }
      const preview = configuration.customDataSync ? new Set((await store.fieldsInStatus(userId, providerName, organization.providerId, 'PREVIEW')).map((f) => f.providerFieldId)) : new Set<string>();

      const cursorsOfOrg = run.cursors[organization.providerId] ?? {};
      const listing = adapter.listFields(credential, ctx, organization, { since: cursorsOfOrg['fields'] });
      const seen = new Set<string>();
      // Fields are independent of each other: a few at a time overlap their boundary calls and writes.
      const inFlight = new Set<Promise<void>>();
      let fatal: { error: unknown } | undefined;
      const syncOne = async (field: SyncField) => {
        try {
          await syncField(organization, field, credential, ctx, { preview: preview.has(field.providerId), promote: pending.get(field.providerId) });
        } catch (error) {
          // One provider record that cannot be stored (an invalid boundary) must not stop the others.
          if (error instanceof FurrowError) run.errors.push({ kind: 'field', providerId: field.providerId, message: error.message });
          else fatal ??= { error };
        }
      };
      for await (const field of listing.items) {
        await keepLease();
        // A field listed twice (on two pages) is synced once.
        if (seen.has(field.providerId)) continue;
        seen.add(field.providerId);
        const task: Promise<void> = syncOne(field).finally(() => inFlight.delete(task));
        inFlight.add(task);
        if (inFlight.size >= FIELD_CONCURRENCY) await Promise.race(inFlight);
        if (fatal !== undefined) break;
      }
      await Promise.all(inFlight);
      if (fatal !== undefined) throw fatal.error;
      if (listing.complete) {
        // Only a complete listing says what no longer exists; an incremental one lists changes.
        for (const [providerId, value] of known.field) {
          if (seen.has(providerId) || !value.localId.startsWith(`${organization.providerId}/`)) continue;
          await fieldRows.deleteField(owner.ownerId, userId, localIdOf(value.localId));
          await store.deleteRecord(record.id, 'field', providerId);
          await store.deleteRecord(record.id, 'boundary', providerId);
          known.field.delete(providerId);
          pending.delete(providerId);
          count('fields', 'deleted');
        }
      }
      // Fields enabled since their last change are not in an incremental listing: fetch them here.
      let promoted = 0;
      for (const field of pending.values()) {
        if (seen.has(field.providerFieldId)) continue;
        await keepLease();
        try {
          await syncBoundary(organization, { providerId: field.providerFieldId, activeBoundaryId: field.providerBoundaryId ?? undefined }, field.id, credential, ctx);
          await store.setFieldStatus(userId, field.id, 'PROCESSED', nowIso(clock));
          promoted += 1;
        } catch (error) {
          if (!(error instanceof FurrowError)) throw error;
          run.errors.push({ kind: 'field', providerId: field.providerFieldId, message: error.message });
        }
      }
      const cursor = listing.cursor();
      const next: Record<string, string> = { ...cursorsOfOrg, ...(cursor === undefined ? {} : { fields: cursor }) };
      // Files of fields that were in PREVIEW were skipped: a full file listing brings them in.
      if (promoted > 0 || [...pending.keys()].some((id) => seen.has(id))) delete next['files'];
      run.cursors[organization.providerId] = next;
    }

    async function syncField(organization: SyncScope, field: SyncField, credential: ProviderCredential, ctx: AdapterContext, state: { preview: boolean; promote: { id: string } | undefined }): Promise<void> {
      const previous = known.field.get(field.providerId);
      if (previous?.version === field.version && state.promote === undefined) {
        count('fields', 'unchanged');
        return;
      }
      const now = nowIso(clock);
      const farmLocal = field.farmId === undefined ? undefined : await localOf('farm', field.farmId);
      const farmId = farmLocal === undefined ? null : Number(farmLocal);
      let fieldId = previous === undefined ? await localOf('field', field.providerId) : localIdOf(previous.localId);
      let preview = state.preview;
      const fresh = fieldId === undefined;
      if (fieldId === undefined) {
        fieldId = crypto.randomUUID();
        const id = fieldId;
        // customDataSync: a new field arrives in PREVIEW, without boundaries, until enableSync.
        preview = configuration.customDataSync;
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
              status: preview ? 'PREVIEW' : 'PROCESSED',
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
      if (!preview) {
        await syncBoundary(organization, field, fieldId, credential, ctx, fresh);
        if (state.promote !== undefined) await store.setFieldStatus(userId, fieldId, 'PROCESSED', nowIso(clock));
      }
      // Written last: a run that dies before this point lists the field again next time.
      await remember('field', field.providerId, { version: field.version, localId: `${organization.providerId}/${fieldId}` });
    }

    async function syncBoundary(organization: SyncScope, field: Pick<SyncField, 'providerId' | 'activeBoundaryId'>, fieldId: string, credential: ProviderCredential, ctx: AdapterContext, fresh = false): Promise<void> {
      const boundaries = await adapter.listBoundaries(credential, ctx, organization, field);
      const active = boundaries.find((b) => b.active);
      if (active === undefined) return;
      const version = `${active.providerId}/${active.version}`;
      const previous = known.boundary.get(field.providerId);
      if (previous?.version === version) {
        count('boundaries', 'unchanged');
        return;
      }
      // A run that died between storing this boundary and remembering it left it ACTIVE already:
      // adopt it rather than store it twice. (Only a new provider boundary id can be such a case;
      // the same id at a new version is a geometry changed upstream.)
      const sameId = previous !== undefined && previous.version.slice(0, previous.version.lastIndexOf('/')) === active.providerId;
      if (!sameId && !fresh) {
        const current = await deps.fields.activeBoundary(owner, userId, fieldId).catch((error: unknown) => {
          if (error instanceof FurrowError && error.code === 'not_found') return undefined;
          throw error;
        });
        if (current?.providerBoundaryId === active.providerId) {
          await remember('boundary', field.providerId, { version, localId: current.id });
          count('boundaries', 'unchanged');
          return;
        }
      }
      const created = previous === undefined;
      const boundary = await deps.fields.applyProviderBoundary(owner, userId, fieldId, { geometry: active.geometry, providerBoundaryId: active.providerId });
      await remember('boundary', field.providerId, { version, localId: boundary.id });
      count('boundaries', created ? 'created' : 'updated');
    }

    /**
     * The organizations to sync: the connected ones, and where the provider has organizations,
     * only those whose stored status is SELECTED (organizationDataSync; PATCH sets it per
     * organization). The listing is stored first, so new ones get their status from the configuration.
     */
    async function organizationsToSync(listed: readonly SyncOrganization[]): Promise<SyncOrganization[]> {
      const connected = listed.filter((o) => o.connected);
      if (!provider.capabilities.hasOrganizations) return connected;
      await deps.organizations.applySync(
        { ownerId: record.ownerId, userId, credentialId: record.id, provider: provider.id },
        listed.map((o) => ({ organizationId: o.providerId, name: o.name, connected: o.connected, connectUrl: o.connectUrl ?? null })),
        (current, o) => syncedOrganizationStatus(current, o.connected, configuration.organizationDataSync).status,
        nowIso(clock),
      );
      const selected = new Set((await deps.organizations.listAll(record.ownerId, record.id)).filter((o) => o.status === 'SELECTED').map((o) => o.organizationId));
      return connected.filter((o) => selected.has(o.providerId));
    }

    try {
      const organizations = await withToken((credential, ctx) => adapter.listOrganizations(credential, ctx));
      // Provider event subscriptions for the connected organizations (sync-events.ts); a failure is the run's error, not its end.
      run.errors.push(...((await deps.events?.ensureSubscriptions(record, organizations)) ?? []));
      for (const organization of await organizationsToSync(organizations)) {
        await withToken((credential, ctx) => syncOrganization(organization, credential, ctx));
      }
      run.status = run.errors.length === 0 ? 'SUCCEEDED' : 'PARTIAL';
      await store.saveCursors(record.id, run.cursors, nowIso(clock));
      await store.markSynced(record.id, nowIso(clock));
      if (fieldsRequestedAt !== undefined) await store.clearFieldsRequest(record.id, fieldsRequestedAt);
    } catch (error) {
      run.status = 'FAILED';
      run.errors.push({ kind: 'run', providerId: null, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      run.finishedAt = nowIso(clock);
      await store.finishRun(run);
    }
    const changed = Object.fromEntries(Object.entries(run.counts).map(([kind, c]) => [kind, c.created + c.updated + c.deleted]));
    await deps.alerts.transact((uow) => deps.alerts.emit(uow, alertEvent('syncCompleted', record.ownerId, { leafUserId: userId, provider: providerName, credentialId: record.id, syncId: run.id, counts: changed })));
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
    async requestUserSync(owner, userId, options = {}) {
      await deps.fields.assertUser(owner, userId);
      const records = await deps.credentialRecords.listForUser(owner.ownerId, userId);
      let queued = 0;
      for (const record of records) {
        if (syncOf(deps.providers[record.provider]) === undefined) continue;
        if (options.fields === true) await store.requestFields(record.id, nowIso(clock));
        await deps.jobs.syncCredential(record.id);
        queued += 1;
      }
      return queued;
    },
    listRuns: (credentialId) => deps.sync.listRuns(credentialId),
    async runsOf(owner, userId, providerId) {
      const credential = await deps.credentials.get(owner, userId, providerId);
      return deps.sync.listRuns(credential.id);
    },
  };
}

/**
 * A synced record keeps its organization with its Furrow id (`<org>/<id>`), so a complete listing
 * of one organization deletes only that organization's missing records. Synced field ids are
 * UUIDs and grower and farm ids integers, so the last `/` separates the two.
 */
function localIdOf(localId: string): string {
  return localId.slice(localId.lastIndexOf('/') + 1);
}
