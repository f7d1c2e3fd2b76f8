/**
 * Provider organizations (leaf-api.md 3.5) for every provider that has them and whose adapter can
 * list them: the connected / not connected overview, and Leaf's sync management (SELECTED,
 * PREVIEW, BLOCKED per organization, re-sync on request).
 *
 * The provider's organization id is the natural key, so a re-sync updates rows and never
 * duplicates them. An organization is removed only when a complete listing (every page read)
 * no longer has it: a listing that failed half-way changes nothing.
 */
import {
  FurrowError,
  effectiveConfiguration,
  isTransientError,
  nowIso,
  syncedOrganizationStatus,
  type OrganizationRecord,
  type OrganizationSortField,
  type OrganizationStatus,
  type OwnerContext,
  type Page,
  type PageRequest,
  type SettableOrganizationStatus,
} from '../domain/index.js';
import { isProviderError } from '../providers/provider-error.js';
import type { Provider, ProviderAdapter } from '../providers/provider.js';
import type { ConfigurationsRepository } from '../storage/repositories/configurations.js';
import type { OrganizationsOwner, OrganizationsRepository } from '../storage/repositories/organizations.js';
import type { CredentialsService } from './credentials.js';

/** One organization as Leaf's sync-management endpoints show it. */
export interface OrganizationView {
  providerOrgId: string;
  providerOrgName: string;
  status: OrganizationStatus;
  /** Where the grower connects the organization or manages the connection; `null` when the provider gave none. */
  managementUri: string | null;
}

/** One organization in `GET /users/{id}/organizations/{provider}`. */
export interface OrganizationSummary {
  id: string;
  name: string;
  managementUri: string | null;
}

/** `GET /users/{id}/organizations/{provider}` (leaf-api.md 3.5, list response). */
export interface OrganizationsOverview {
  connectedOrganizations: OrganizationSummary[];
  notConnectedOrganizations: OrganizationSummary[];
}

export interface OrganizationsService {
  /** The user's organizations at the provider, connected and not connected. */
  overview(owner: OwnerContext, userId: string, apiName: string): Promise<OrganizationsOverview>;
  list(owner: OwnerContext, userId: string, apiName: string, page: PageRequest<OrganizationSortField>): Promise<Page<OrganizationView>>;
  get(owner: OwnerContext, userId: string, apiName: string, organizationId: string): Promise<OrganizationView>;
  /** Sets SELECTED or PREVIEW (`parseSettableOrganizationStatus` at the edge); a BLOCKED organization is a 409. */
  setStatus(owner: OwnerContext, userId: string, apiName: string, organizationId: string, status: SettableOrganizationStatus): Promise<OrganizationView>;
  /** Lists the organizations at the provider now and stores the result; answers every organization. */
  sync(owner: OwnerContext, userId: string, apiName: string): Promise<OrganizationView[]>;
}

export interface OrganizationsServiceOptions {
  organizations: OrganizationsRepository;
  /** Finds the user's credential and calls the provider with a current access token. */
  credentials: Pick<CredentialsService, 'get' | 'withAccessToken'>;
  /** For `organizationDataSync`, which decides the status of a new organization. */
  configurations: Pick<ConfigurationsRepository, 'getOwner' | 'getUser'>;
  providers: Readonly<Record<string, Provider>>;
  clock?: () => number;
  /**
   * Queues a data sync of the credential: Leaf starts one when an organization becomes SELECTED
   * ("The sync process starts immediately after the request") and on `POST .../organizations/sync`.
   */
  onSyncRequested?: (credential: { id: string; provider: string }) => Promise<void>;
}

type OrganizationsProvider = Provider & { adapter: ProviderAdapter & Required<Pick<ProviderAdapter, 'listOrganizations'>> };

/** True when Furrow can serve the provider's organizations: it has them and its adapter lists them. */
function servesOrganizations(provider: Provider): provider is OrganizationsProvider {
  return provider.capabilities.hasOrganizations && provider.adapter?.listOrganizations !== undefined;
}

const view = (record: OrganizationRecord): OrganizationView => ({
  providerOrgId: record.organizationId,
  providerOrgName: record.name,
  status: record.status,
  managementUri: record.connectUrl,
});
const summary = (record: OrganizationRecord): OrganizationSummary => ({ id: record.organizationId, name: record.name, managementUri: record.connectUrl });

export function organizationsService(options: OrganizationsServiceOptions): OrganizationsService {
  const { organizations, credentials, configurations, providers } = options;
  const clock = options.clock ?? Date.now;
  const supported = Object.values(providers).filter(servesOrganizations);
  const supportedNames = supported.map((p) => p.apiName).join(', ') || 'none in this release';

  // Shared code asks the capability and the adapter, never the provider's name (STYLE.md).
  const providerOf = (apiName: string): OrganizationsProvider => {
    const provider = supported.find((p) => p.apiName === apiName);
    if (provider !== undefined) return provider;
    const known = Object.values(providers).find((p) => p.apiName === apiName);
    const why =
      known === undefined
        ? `Unknown provider "${apiName}"`
        : known.capabilities.hasOrganizations
          ? `${known.name} (${apiName}) has organizations, but this release cannot list them yet`
          : `${known.name} (${apiName}) has no organizations`;
    throw new FurrowError('not_found', `${why}: organizations are served for ${supportedNames}.`);
  };

  /** The user's credential for the provider; 404 for a user without one, or another owner's user. */
  const ownerOf = async (owner: OwnerContext, userId: string, provider: OrganizationsProvider): Promise<OrganizationsOwner> => {
    const credential = await credentials.get(owner, userId, provider.id);
    return { ownerId: owner.ownerId, userId, credentialId: credential.id, provider: provider.id };
  };

  async function sync(owner: OwnerContext, provider: OrganizationsProvider, target: OrganizationsOwner): Promise<void> {
    const configuration = effectiveConfiguration(await configurations.getOwner(owner.ownerId), await configurations.getUser(owner.ownerId, target.userId));
    let listed;
    try {
      listed = await credentials.withAccessToken(target.credentialId, (credential, ctx) => provider.adapter.listOrganizations(credential, ctx));
    } catch (error) {
      if (!isProviderError(error)) throw error;
      // The credentials service already applied the status rule; say what it means for the caller.
      if (isTransientError(error.errorClass)) {
        throw new FurrowError('provider_unavailable', `${provider.name} did not list the organizations (${error.reason}); nothing was changed. Retry later.`, { cause: error });
      }
      const status = (await credentials.get(owner, target.userId, provider.id)).status;
      throw new FurrowError('provider_refused', `${provider.name} refused to list the organizations (${error.errorClass}: ${error.reason}); nothing was changed. The credential's status is ${status}.`, { cause: error });
    }
    await organizations.applySync(
      target,
      listed.map((o) => ({ organizationId: o.id, name: o.name, connected: o.connected, connectUrl: o.connectUrl ?? null })),
      (current, organization) => syncedOrganizationStatus(current, organization.connected, configuration.organizationDataSync).status,
      nowIso(clock),
    );
  }

  /**
   * The provider, the credential, and organizations to read. [I] Leaf lists organizations after a
   * credential is connected; Furrow does it on first read, so a credential with none stored is
   * synced before answering (an account without organizations asks the provider each time: one call).
   */
  async function resolve(owner: OwnerContext, userId: string, apiName: string) {
    const provider = providerOf(apiName);
    const target = await ownerOf(owner, userId, provider);
    if ((await organizations.count(owner.ownerId, target.credentialId)) === 0) await sync(owner, provider, target);
    return { provider, target };
  }

  const notFound = (target: OrganizationsOwner, provider: Provider, organizationId: string) =>
    new FurrowError('not_found', `Leaf user ${target.userId} has no ${provider.name} organization ${organizationId}; POST .../organizations/sync if it was added at ${provider.name} since.`);

  return {
    async overview(owner, userId, apiName) {
      const { target } = await resolve(owner, userId, apiName);
      const all = await organizations.listAll(owner.ownerId, target.credentialId);
      return { connectedOrganizations: all.filter((o) => o.connected).map(summary), notConnectedOrganizations: all.filter((o) => !o.connected).map(summary) };
    },

    async list(owner, userId, apiName, page) {
      const { target } = await resolve(owner, userId, apiName);
      const found = await organizations.list(owner.ownerId, target.credentialId, page);
      return { total: found.total, items: found.items.map(view) };
    },

    async get(owner, userId, apiName, organizationId) {
      const { provider, target } = await resolve(owner, userId, apiName);
      const record = await organizations.get(owner.ownerId, target.credentialId, organizationId);
      if (record === undefined) throw notFound(target, provider, organizationId);
      return view(record);
    },

    async setStatus(owner, userId, apiName, organizationId, status) {
      const { provider, target } = await resolve(owner, userId, apiName);
      const result = await organizations.setStatus(owner.ownerId, target.credentialId, organizationId, status, nowIso(clock));
      if (result.outcome === 'missing') throw notFound(target, provider, organizationId);
      if (result.outcome === 'blocked') {
        const where = result.record.connectUrl === null ? `at ${provider.name}` : `at ${result.record.connectUrl}`;
        throw new FurrowError('organization_blocked', `${provider.name} organization ${organizationId} is BLOCKED: the grower has not connected it to the application. Connect it ${where}, then POST .../organizations/sync; its status can be set after that.`);
      }
      if (status === 'SELECTED') await options.onSyncRequested?.({ id: target.credentialId, provider: provider.id });
      return view(result.record);
    },

    async sync(owner, userId, apiName) {
      const provider = providerOf(apiName);
      const target = await ownerOf(owner, userId, provider);
      await sync(owner, provider, target);
      await options.onSyncRequested?.({ id: target.credentialId, provider: provider.id });
      return (await organizations.listAll(owner.ownerId, target.credentialId)).map(view);
    },
  };
}
