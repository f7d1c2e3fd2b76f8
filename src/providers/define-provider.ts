import type { TObject } from '@sinclair/typebox';
import { ENVIRONMENTS, ENVIRONMENT_FIELD, type Environment, type FieldName, type Provider, type ProviderCapabilities, type SecretDisplay } from './provider.js';

/**
 * What a provider folder writes; `defineProvider()` derives or defaults the rest. Field names are
 * checked against the schema here, so a typo in `secretFields` does not compile.
 */
export type ProviderDefinition<S extends TObject> = Omit<
  Provider<S>,
  'credentialsPath' | 'environments' | 'defaultEnvironment' | 'capabilities' | 'hierarchy' | 'secretFields' | 'publicFields' | 'clientIdentityField' | 'adapter'
> & {
  secretFields: Readonly<Partial<Record<FieldName<S>, SecretDisplay>>>;
  publicFields: readonly FieldName<S>[];
  capabilities?: Partial<ProviderCapabilities>;
  hierarchy?: Provider<S>['hierarchy'];
  clientIdentityField?: FieldName<S> | undefined;
  adapter?: Provider<S>['adapter'];
};

const NO_CAPABILITIES: ProviderCapabilities = {
  supportsRefresh: false,
  rotatesRefreshToken: false,
  supportsRevoke: false,
  supportsWebhooks: false,
  hasOrganizations: false,
  hasMachineFiles: false,
};

/**
 * A provider value with its defaults filled: capabilities off unless stated, the credentials path
 * from the id, and the environments read from the schema's `clientEnvironment` (its `enum` and
 * `default`), so the schema stays the one place that says them.
 */
export function defineProvider<S extends TObject>(definition: ProviderDefinition<S>): Provider<S> {
  const environmentSchema = definition.credentialSchema.properties[ENVIRONMENT_FIELD] as { enum?: unknown[]; default?: unknown } | undefined;
  const environments = (environmentSchema?.enum ?? []).filter((value): value is Environment => (ENVIRONMENTS as readonly unknown[]).includes(value));
  const defaultEnvironment = environments.find((value) => value === environmentSchema?.default);
  return {
    ...definition,
    secretFields: definition.secretFields as Readonly<Record<string, SecretDisplay>>,
    credentialsPath: `${definition.id}-credentials`,
    environments,
    defaultEnvironment,
    capabilities: { ...NO_CAPABILITIES, ...definition.capabilities },
    hierarchy: definition.hierarchy ?? [],
    clientIdentityField: definition.clientIdentityField,
    adapter: definition.adapter,
  };
}

/**
 * The environment a credential body selects: its `clientEnvironment`, else the provider's
 * default, else PRODUCTION for providers with a single environment.
 */
export function environmentOf(provider: Pick<Provider, 'environments' | 'defaultEnvironment'>, body: Record<string, unknown>): Environment {
  const chosen = body[ENVIRONMENT_FIELD];
  if (provider.environments.includes(chosen as Environment)) return chosen as Environment;
  return provider.defaultEnvironment ?? 'PRODUCTION';
}
