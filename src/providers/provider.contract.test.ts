/**
 * The contract every provider folder keeps (STYLE.md habit 2): registered under its folder name,
 * a credential schema that takes Leaf's documented body and refuses incomplete ones, and every
 * body field declared either secret or public.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { credentialView, environmentOf, isProviderId, isSecretName, providerByApiName, providerById, providerIds, providers, type Provider } from './index.js';

const providersDir = path.dirname(new URL(import.meta.url).pathname);
/** Folders under src/providers that hold shared helpers rather than a provider. */
const SHARED_FOLDERS = ['testing'];

// SPEC section 4, copied by hand so the registry cannot drift from the spec unnoticed.
const SPEC_TABLE: Record<string, { apiName: string; environments: string[] }> = {
  'john-deere': { apiName: 'JohnDeere', environments: ['STAGE', 'PRODUCTION'] },
  claas: { apiName: 'CLAAS', environments: ['STAGE', 'PRODUCTION'] },
  'climate-field-view': { apiName: 'ClimateFieldView', environments: [] },
  cnhi: { apiName: 'CNHI', environments: ['STAGE', 'PRODUCTION'] },
  trimble: { apiName: 'Trimble', environments: [] },
  'ag-leader': { apiName: 'AgLeader', environments: [] },
  raven: { apiName: 'Raven', environments: [] },
  'raven-slingshot': { apiName: 'RavenSlingshot', environments: [] },
  stara: { apiName: 'Stara', environments: [] },
  sentera: { apiName: 'Sentera', environments: [] },
  agvance: { apiName: 'AgVance', environments: ['STAGE', 'PRODUCTION'] },
  panorama: { apiName: 'Panorama', environments: ['STAGE', 'PRODUCTION'] },
};

// leaf-api.md 2.2: the credential properties Leaf documents on its user resource.
const DOCUMENTED_USER_FIELDS: Record<string, string> = {
  'john-deere': 'johnDeereCredentials',
  'climate-field-view': 'climateFieldViewCredentials',
  cnhi: 'cnhiCredentials',
  trimble: 'trimbleCredentials',
  raven: 'ravenCredentials',
  stara: 'staraCredentials',
  'ag-leader': 'agLeaderCredentials',
  'raven-slingshot': 'ravenSlingshotCredentials',
};

const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
const all = Object.entries(providers) as [string, Provider][];

function check(provider: Provider, body: Record<string, unknown>) {
  const validate = ajv.compile(provider.credentialSchema);
  const copy = structuredClone(body);
  const valid = validate(copy);
  return { valid, errors: validate.errors ?? [], body: copy };
}

describe('the provider registry', () => {
  it('registers every provider folder under its folder name', () => {
    const folders = fs
      .readdirSync(providersDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !SHARED_FOLDERS.includes(entry.name))
      .map((entry) => entry.name)
      .sort();
    expect(folders).toEqual([...providerIds].sort());
  });

  it('holds the twelve providers of SPEC section 4 with their Leaf API names and environments', () => {
    expect(providerIds).toEqual(Object.keys(SPEC_TABLE));
    for (const [id, provider] of all) {
      expect({ apiName: provider.apiName, environments: [...provider.environments] }, id).toEqual(SPEC_TABLE[id]);
    }
  });

  it('gives every provider a unique apiName and userField, the documented ones as Leaf spells them', () => {
    const apiNames = all.map(([, p]) => p.apiName);
    const userFields = all.map(([, p]) => p.userField);
    expect(new Set(apiNames).size).toBe(all.length);
    expect(new Set(userFields).size).toBe(all.length);
    for (const [id, field] of Object.entries(DOCUMENTED_USER_FIELDS)) expect(providers[id as keyof typeof providers].userField).toBe(field);
  });

  it('finds providers by id and by API name, and nothing for unknown names', () => {
    expect(providerById('john-deere')?.apiName).toBe('JohnDeere');
    expect(providerByApiName('ClimateFieldView')?.id).toBe('climate-field-view');
    expect(isProviderId('cnhi')).toBe(true);
    for (const unknown of ['johndeere', 'toString', '__proto__', '']) {
      expect(isProviderId(unknown)).toBe(false);
      expect(providerById(unknown)).toBeUndefined();
    }
    expect(providerByApiName('Lindsay')).toBeUndefined();
  });
});

describe.each(all)('provider %s', (key, provider) => {
  const properties = Object.keys(provider.credentialSchema.properties);
  const required = provider.credentialSchema.required ?? [];

  it('has an id equal to its registry key and folder, kebab-case, with the credentials path Leaf uses', () => {
    expect(provider.id).toBe(key);
    expect(provider.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(fs.existsSync(path.join(providersDir, provider.id, 'index.ts'))).toBe(true);
    expect(provider.credentialsPath).toBe(`${key}-credentials`);
    expect(provider.apiName).toMatch(/^[A-Z][A-Za-z]*$/);
    expect(provider.userField).toMatch(/^[a-z][A-Za-z]*Credentials$/);
  });

  it('accepts the documented example body', () => {
    const result = check(provider, provider.credentialExample as Record<string, unknown>);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('ignores unknown body properties, as Leaf does', () => {
    expect(check(provider, { ...(provider.credentialExample as Record<string, unknown>), somethingElse: 1 }).valid).toBe(true);
  });

  it('refuses a body missing each required field, naming the field', () => {
    expect(required.length).toBeGreaterThan(0);
    for (const field of required) {
      const { [field]: _removed, ...body } = provider.credentialExample as Record<string, unknown>;
      const result = check(provider, body);
      expect(result.valid, `${key} accepted a body without ${field}`).toBe(false);
      expect(result.errors.some((e) => e.params['missingProperty'] === field)).toBe(true);
    }
  });

  it('refuses empty strings and non-strings in every field', () => {
    for (const field of properties) {
      for (const bad of ['', 42]) {
        expect(check(provider, { ...(provider.credentialExample as Record<string, unknown>), [field]: bad }).valid, `${key}.${field} = ${JSON.stringify(bad)}`).toBe(false);
      }
    }
  });

  it('takes clientEnvironment only where the provider has environments, refusing other values and applying the default', () => {
    const example = provider.credentialExample as Record<string, unknown>;
    if (provider.environments.length === 0) {
      expect(properties).not.toContain('clientEnvironment');
      expect(provider.defaultEnvironment).toBeUndefined();
      expect(environmentOf(provider, example)).toBe('PRODUCTION');
      return;
    }
    for (const environment of ['STAGE', 'PRODUCTION']) {
      expect(check(provider, { ...example, clientEnvironment: environment }).valid).toBe(true);
      expect(environmentOf(provider, { ...example, clientEnvironment: environment })).toBe(environment);
    }
    for (const bad of ['SANDBOX', 'stage', 'PRODUCT']) expect(check(provider, { ...example, clientEnvironment: bad }).valid, `${key} clientEnvironment ${bad}`).toBe(false);
    const { clientEnvironment: _removed, ...withoutEnvironment } = example;
    if (provider.defaultEnvironment === undefined) {
      expect(required).toContain('clientEnvironment');
    } else {
      expect(required).not.toContain('clientEnvironment');
      expect(check(provider, withoutEnvironment).body['clientEnvironment']).toBe(provider.defaultEnvironment);
      expect(environmentOf(provider, withoutEnvironment)).toBe(provider.defaultEnvironment);
    }
  });

  it('declares every body field exactly once, as secret or public', () => {
    const secret = Object.keys(provider.secretFields);
    expect(secret.length).toBeGreaterThan(0);
    for (const field of [...secret, ...provider.publicFields]) expect(properties, `${key} declares ${field}, which its schema lacks`).toContain(field);
    expect([...secret, ...provider.publicFields].sort()).toEqual([...properties].sort());
    if (provider.clientIdentityField !== undefined) expect(provider.publicFields).toContain(provider.clientIdentityField);
  });

  it('declares secret every field whose name says secret (token, secret, password, key)', () => {
    for (const field of properties.filter(isSecretName)) expect(Object.keys(provider.secretFields), `${key}.${field}`).toContain(field);
  });

  it('never shows a secret on GET: masked ones by their last four characters, tokens and passwords not at all', () => {
    const example = provider.credentialExample as Record<string, string>;
    const view = credentialView(provider, example);
    for (const [field, display] of Object.entries(provider.secretFields)) {
      if (display === 'hidden') expect(view).not.toHaveProperty(field);
      else expect(view[field]).toMatch(/^\*{4}.{0,4}$/);
      if (example[field] !== undefined) expect(JSON.stringify(view)).not.toContain(example[field]);
    }
    for (const field of provider.publicFields) expect(view[field]).toBe(example[field]);
  });

  it('has an adapter, an emulator, and the same files as every other provider folder', () => {
    expect(provider.adapter, `${provider.id} has no adapter`).toBeDefined();
    expect(provider.emulator, `${provider.id} has no emulator`).toBeDefined();
    const files = fs.readdirSync(path.join(providersDir, provider.id));
    for (const file of ['index.ts', 'client.ts', 'emulator.ts', 'client.test.ts', `${provider.id}.integration.test.ts`]) {
      expect(files, `src/providers/${provider.id}/ lacks ${file}`).toContain(file);
    }
  });

  it('states capabilities that agree with each other and with its adapter', () => {
    const { capabilities, adapter } = provider;
    if (capabilities.rotatesRefreshToken) expect(capabilities.supportsRefresh).toBe(true);
    if (adapter !== undefined) {
      expect(typeof adapter.validate).toBe('function');
      expect(typeof adapter.refresh).toBe('function');
      expect(typeof adapter.classifyError).toBe('function');
      expect(typeof adapter.revoke === 'function').toBe(capabilities.supportsRevoke);
    }
  });

  it('offers every sync listing where its adapter has a sync part, and has machine files to sync', () => {
    const sync = provider.adapter?.sync;
    if (sync === undefined) return;
    for (const name of ['listOrganizations', 'listGrowers', 'listFarms', 'listFields', 'listBoundaries', 'listFiles', 'downloadFile'] as const) {
      expect(typeof sync[name], `${provider.id} sync.${name}`).toBe('function');
    }
    // Files are synced only from providers that say they have machine files.
    expect(provider.capabilities.hasMachineFiles).toBe(true);
  });
});
