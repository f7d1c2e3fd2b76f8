/**
 * A provider whose sync listings a test scripts (the emulators have no "delete a field" or "add an
 * organization" control), standing in for John Deere behind a real credential, so runs go through
 * the real credentials, configurations, organizations, fields and sync storage.
 */
import { startApiHarness, type ApiHarness } from '../../api/testing/api-harness.js';
import type { Provider } from '../../providers/provider.js';
import { providers } from '../../providers/registry.js';
import { syncListing, type ProviderSync, type SyncFarm, type SyncField, type SyncGrower, type SyncOrganization } from '../../providers/sync-data.js';
import { configurationsRepository } from '../../storage/repositories/configurations.js';
import { credentialsRepository } from '../../storage/repositories/credentials.js';
import { fieldsRepository } from '../../storage/repositories/fields.js';
import { organizationsRepository } from '../../storage/repositories/organizations.js';
import { syncRepository } from '../../storage/repositories/sync.js';
import type { TestDatabase } from '../../storage/testing/test-databases.js';
import { syncService, type SyncJobs, type SyncService } from '../sync.js';

/** A square of `size` degrees at (lon, lat), as a closed GeoJSON MultiPolygon. */
export const square = (lon: number, lat: number, size = 0.005) => ({
  type: 'MultiPolygon' as const,
  coordinates: [[[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]],
});

/** What the scripted provider lists; a test changes it between runs. */
export interface Upstream {
  organizations: SyncOrganization[];
  growers: SyncGrower[];
  farms: SyncFarm[];
  fields: SyncField[];
  /** Whether the next field listing is complete (no cursor given) or incremental. */
  complete: boolean;
  /** Fields whose boundary is a degenerate ring nothing can repair. */
  invalid: Set<string>;
  /** Boundary listings asked for, by provider field id. */
  boundaryCalls: string[];
  /** The active boundary's provider id by provider field id, where not `b-<field id>`. */
  boundaryIds: Map<string, string>;
  /** When set, the grower listing waits for it: a run parked mid-way. */
  hold?: Promise<void> | undefined;
}

export interface ScriptedSync {
  h: ApiHarness;
  sync: SyncService;
  upstream: Upstream;
  userId: string;
  credentialId: string;
  /** Syncs the engine asked the queue for. */
  queued: { credentialId: string; runAt: Date | undefined }[];
  close(): Promise<void>;
}

export const scriptedField = (id: string, organizationId = 'org-1', extra: Partial<SyncField> = {}): SyncField => ({ providerId: id, organizationId, name: `Field ${id}`, version: '1', activeBoundaryId: `b-${id}`, ...extra });

// A ring of three positions: invalid, and nothing automaticFixBoundary can repair.
const degenerate = { type: 'MultiPolygon' as const, coordinates: [[[[-92, 41], [-91.99, 41], [-92, 41]]]] };

/** Starts Furrow on `database` with a user holding a sandbox John Deere credential, and a sync service over the scripted provider. */
export async function startScriptedSync(database: TestDatabase): Promise<ScriptedSync> {
  const upstream: Upstream = { organizations: [{ providerId: 'org-1', name: 'Org', connected: true, version: '1' }], growers: [], farms: [], fields: [], complete: true, invalid: new Set(), boundaryCalls: [], boundaryIds: new Map() };
  const deere = providers['john-deere'] as unknown as Provider;
  const scripted: ProviderSync = {
    listOrganizations: async () => upstream.organizations.map((o) => ({ ...o })),
    listGrowers: async function* (_credential, _ctx, organization) {
      if (upstream.hold !== undefined) await upstream.hold;
      yield* upstream.growers.filter((g) => g.organizationId === organization.providerId);
    },
    listFarms: async function* (_credential, _ctx, organization) {
      yield* upstream.farms.filter((f) => f.organizationId === organization.providerId);
    },
    listFields: (_credential, _ctx, organization) => {
      const listed = upstream.fields.filter((f) => f.organizationId === organization.providerId);
      return syncListing(async function* () {
        yield* listed;
        return `cursor-${listed.length}`;
      }, upstream.complete);
    },
    listBoundaries: async (_credential, _ctx, _organization, field) => {
      upstream.boundaryCalls.push(field.providerId);
      const index = upstream.fields.findIndex((f) => f.providerId === field.providerId);
      return [{ providerId: upstream.boundaryIds.get(field.providerId) ?? `b-${field.providerId}`, fieldId: field.providerId, active: true, version: '1', geometry: upstream.invalid.has(field.providerId) ? degenerate : square(-93 + index * 0.01, 41.5) }];
    },
    // eslint-disable-next-line require-yield
    listFiles: () => syncListing(async function* () {
      return undefined;
    }, true),
    downloadFile: async () => ({ bytes: 0, requests: 0 }),
  };
  const queued: ScriptedSync['queued'] = [];
  const jobs: SyncJobs = { syncCredential: async (credentialId, options) => void queued.push({ credentialId, runAt: options?.runAt }) };
  const h = await startApiHarness(database, { sandbox: true, sync: true });
  const sync = syncService({
    credentialRecords: credentialsRepository(h.storage.db, h.storage.dialect),
    credentials: h.services.credentials,
    providers: { 'john-deere': { ...deere, adapter: { ...deere.adapter!, sync: scripted } } },
    sync: syncRepository(h.storage.db, h.storage.dialect),
    fieldRows: fieldsRepository(h.storage.db, h.storage.dialect),
    fields: h.services.fields,
    configurations: configurationsRepository(h.storage.db, h.storage.dialect),
    organizations: organizationsRepository(h.storage.db, h.storage.dialect),
    alerts: h.services.alerts,
    jobs,
  });
  const users = '/services/usermanagement/api/users';
  const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
  const account = (await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: 'john-deere' } })).json();
  const posted = await h.request({ method: 'POST', url: `${users}/${userId}/${deere.credentialsPath}`, payload: account.credentials });
  if (posted.statusCode !== 201) throw new Error(`the sandbox credential was refused: ${posted.body}`);
  return { h, sync, upstream, userId, credentialId: posted.json().id as string, queued, close: () => h.close() };
}
