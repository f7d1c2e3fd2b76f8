/**
 * App keys (leaf-api.md 6.2; SPEC section 10): the API owner's application at each provider that
 * has an app-level secret, per environment where the provider has them. The whole body is
 * encrypted at rest and never returned; GET shows the public properties and the redirect URI to
 * register at the provider.
 */
import crypto from 'node:crypto';
import { FurrowError, nowIso, type OwnerContext } from '../domain/index.js';
import type { SecretBox } from '../keys/index.js';
import type { Environment, Provider } from '../providers/provider.js';
import type { AppKeyFields, AppKeyDefinition } from '../providers/provider-link.js';
import type { AppKeyRecord, AppKeysRepository } from '../storage/repositories/app-keys.js';

/** An app key as GET shows it: Leaf's `provider, appName, clientEnvironment, createdTime`, plus Furrow's. */
export interface AppKeyView {
  id: string;
  provider: string;
  appName: string;
  clientEnvironment: string;
  createdTime: string;
  updatedTime: string;
  /** Register this at the provider as the app's redirect (callback) URI. */
  redirectUri: string;
  [publicField: string]: unknown;
}

/** A provider that can have app keys. */
export type AppKeyProvider = Provider & { link: { appKey: AppKeyDefinition } };

/** The provider whose Leaf name is `apiName` and that has app keys, or a 404 naming those that do. */
export function appKeyProviderOf(providers: Readonly<Record<string, Provider>>, apiName: string): AppKeyProvider {
  const all = Object.values(providers).filter((p): p is AppKeyProvider => p.link?.appKey !== undefined);
  const provider = all.find((p) => p.apiName === apiName);
  if (provider === undefined) throw new FurrowError('not_found', `No app keys for provider "${apiName}"; providers with app keys: ${all.map((p) => p.apiName).join(', ')}.`);
  return provider;
}

/** The environment segment of an app key: required where the provider has environments, else PRODUCTION. */
function environmentFor(provider: Provider, given: string | undefined): Environment {
  if (provider.environments.length === 0) {
    if (given !== undefined) throw new FurrowError('not_found', `${provider.name} app keys have no environment; use /app-keys/${provider.apiName}/{appName}.`);
    return 'PRODUCTION';
  }
  if (given === undefined || !provider.environments.includes(given as Environment)) {
    throw new FurrowError('validation_failed', `Expected the clientEnvironment path segment to be one of ${provider.environments.join(', ')}; found "${given ?? ''}".`, {
      fieldErrors: [{ field: 'params.clientEnvironment', message: `must be one of ${provider.environments.join(', ')}` }],
    });
  }
  return given as Environment;
}

/** The additional data binding an app key's ciphertext to its row's natural key. */
export function appKeyAad(record: Pick<AppKeyRecord, 'ownerId' | 'provider' | 'appName' | 'environment'>): string {
  return `app-key:${record.ownerId}:${record.provider}:${record.appName}:${record.environment}`;
}

export interface AppKeysService {
  create(owner: OwnerContext, apiName: string, appName: string, environment: string | undefined, body: Record<string, unknown>): Promise<AppKeyView>;
  update(owner: OwnerContext, apiName: string, appName: string, environment: string | undefined, body: Record<string, unknown>): Promise<AppKeyView>;
  get(owner: OwnerContext, apiName: string, appName: string, environment: string | undefined): Promise<AppKeyView>;
  /** The owner's app keys, of one provider (by Leaf name) when given. */
  list(owner: OwnerContext, apiName?: string): Promise<AppKeyView[]>;
  delete(owner: OwnerContext, apiName: string, appName: string, environment: string | undefined): Promise<void>;
  /**
   * The app key a grower's connection uses: the owner's most recently changed one of the provider
   * (any name, any environment), decrypted; `undefined` when the owner has none.
   */
  forConnection(ownerId: string, providerId: string): Promise<{ record: AppKeyRecord; fields: AppKeyFields } | undefined>;
  /** An app key by id, decrypted (an OAuth callback finds the one its state names). */
  byId(id: string): Promise<{ record: AppKeyRecord; fields: AppKeyFields } | undefined>;
  /** The redirect URI to register at every provider. */
  redirectUri(): string;
}

export interface AppKeysServiceOptions {
  appKeys: AppKeysRepository;
  secretBox: SecretBox;
  providers: Readonly<Record<string, Provider>>;
  /** Furrow's public URL (FURROW_PUBLIC_URL, else the address it listens on). */
  publicUrl: () => string | undefined;
  /** `SecretKeysService.refreshCurrentVersion`: awaited before encrypting, so a rotation's new version is used within its TTL. */
  refreshKeyVersion?: () => Promise<unknown>;
  clock?: () => number;
}

/** The path of the OAuth callback of Magic Link and the widget, below the public URL. */
export const LINK_CALLBACK_PATH = '/magic-link/callback';

export function appKeysService(options: AppKeysServiceOptions): AppKeysService {
  const { appKeys, secretBox, providers } = options;
  const clock = options.clock ?? Date.now;
  const redirectUri = () => `${(options.publicUrl() ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')}${LINK_CALLBACK_PATH}`;

  const view = (record: AppKeyRecord): AppKeyView => ({
    ...record.display,
    id: record.id,
    provider: providers[record.provider]?.apiName ?? record.provider,
    appName: record.appName,
    clientEnvironment: record.environment,
    createdTime: record.createdAt,
    updatedTime: record.updatedAt,
    redirectUri: redirectUri(),
  });
  const split = (provider: AppKeyProvider, body: Record<string, unknown>) => {
    const definition = provider.link.appKey;
    const names = Object.keys(definition.schema.properties);
    // Only the schema's properties are kept: unknown ones are ignored, as Leaf does.
    const fields = Object.fromEntries(names.filter((name) => body[name] !== undefined).map((name) => [name, body[name]]));
    const display = Object.fromEntries(definition.publicFields.filter((name) => fields[name] !== undefined).map((name) => [name, fields[name]]));
    return { fields, display };
  };
  const find = async (owner: OwnerContext, apiName: string, appName: string, environment: string | undefined) => {
    const provider = appKeyProviderOf(providers, apiName);
    const env = environmentFor(provider, environment);
    const record = await appKeys.find(owner.ownerId, provider.id, appName, env);
    if (record === undefined) throw new FurrowError('not_found', `No ${provider.apiName} app key named "${appName}"${provider.environments.length > 0 ? ` for ${env}` : ''}; create it with POST.`);
    return { provider, env, record };
  };
  const decrypt = (record: AppKeyRecord): AppKeyFields => JSON.parse(secretBox.decrypt(record.secrets, appKeyAad(record))) as AppKeyFields;

  return {
    async create(owner, apiName, appName, environment, body) {
      const provider = appKeyProviderOf(providers, apiName);
      const env = environmentFor(provider, environment);
      const { fields, display } = split(provider, body);
      await options.refreshKeyVersion?.();
      const now = nowIso(clock);
      const identity = { ownerId: owner.ownerId, provider: provider.id, appName, environment: env };
      const record: AppKeyRecord = { ...identity, id: crypto.randomUUID(), display, secrets: secretBox.encrypt(JSON.stringify(fields), appKeyAad(identity)), keyVersion: secretBox.currentVersion, createdAt: now, updatedAt: now };
      if ((await appKeys.insert(record)) === 'exists') {
        throw new FurrowError('app_key_exists', `A ${provider.apiName} app key named "${appName}"${provider.environments.length > 0 ? ` for ${env}` : ''} already exists; change it with PUT or DELETE it first.`);
      }
      return view(record);
    },
    async update(owner, apiName, appName, environment, body) {
      const { provider, record } = await find(owner, apiName, appName, environment);
      const { fields, display } = split(provider, body);
      await options.refreshKeyVersion?.();
      const change = { display, secrets: secretBox.encrypt(JSON.stringify(fields), appKeyAad(record)), keyVersion: secretBox.currentVersion, updatedAt: nowIso(clock) };
      await appKeys.update(owner.ownerId, record.id, change);
      return view({ ...record, ...change });
    },
    async get(owner, apiName, appName, environment) {
      return view((await find(owner, apiName, appName, environment)).record);
    },
    async list(owner, apiName) {
      const provider = apiName === undefined ? undefined : appKeyProviderOf(providers, apiName);
      return (await appKeys.list(owner.ownerId, provider?.id)).map(view);
    },
    async delete(owner, apiName, appName, environment) {
      const { record } = await find(owner, apiName, appName, environment);
      await appKeys.delete(owner.ownerId, record.id);
    },
    async forConnection(ownerId, providerId) {
      const records = await appKeys.list(ownerId, providerId);
      const newest = records.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0))[0];
      return newest === undefined ? undefined : { record: newest, fields: decrypt(newest) };
    },
    async byId(id) {
      const record = await appKeys.findById(id);
      return record === undefined ? undefined : { record, fields: decrypt(record) };
    },
    redirectUri,
  };
}
