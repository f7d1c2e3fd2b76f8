/**
 * The sandbox as one Fastify plugin (SPEC section 4, "The sandbox"): the control API under
 * `/sandbox/api` for the API owner, and every provider's emulator under `/sandbox/<provider-id>`
 * with the provider's own paths below it, public because emulators speak the provider's auth.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { FurrowError, type OwnerContext } from '../domain/index.js';
import { SANDBOX_SCENARIOS, type SandboxScenario } from '../providers/provider-emulator.js';
import type { Provider } from '../providers/provider.js';
import type { SandboxAccount, SandboxAccountStore } from './account-store.js';
import { createEmulatorContext } from './emulator-context.js';
import { MAX_ADDED_FILE_POINTS, SandboxOperationData } from './operation-data.js';
import { MAX_SCENARIO_FIELDS } from './scenario.js';
import { MAX_SEED } from './seeded-random.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated API owner, set by the API's bearer-token hook on every non-public route. */
    owner: OwnerContext;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a bearer token. */
    public?: boolean;
  }
}

/** Where the sandbox lives; `sandboxBaseUrl` of `createAdapterContext` is the server's origin plus this. */
export const SANDBOX_PATH = '/sandbox';
const CONTROL_PATH = `${SANDBOX_PATH}/api`;

/** What `sandboxRoutes` serves: the providers (those with an emulator) and the account store. */
export interface SandboxRoutesOptions {
  /** The providers by id; those with an `emulator` are served and can have sandbox accounts. */
  providers: Readonly<Record<string, Provider>>;
  store: SandboxAccountStore;
}

const CreateAccountBody = Type.Object({
  provider: Type.String({ minLength: 1, maxLength: 100, description: 'A provider id, e.g. john-deere.' }),
  scenario: Type.Optional(Type.Unsafe<SandboxScenario>({ type: 'string', enum: [...SANDBOX_SCENARIOS], description: 'default (a few organizations), large (many fields) or empty; default when left out.' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEED, description: 'Seeds the generated data and the errorRate draws; random when left out.' })),
  fields: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SCENARIO_FIELDS, description: 'Field count of the large scenario.' })),
});
type CreateAccountBody = Static<typeof CreateAccountBody>;

const Faults = Type.Object({
  revoke: Type.Optional(Type.Boolean({ description: 'Revoke every grant issued so far: the next refresh answers invalid_grant.' })),
  limitedPermission: Type.Optional(Type.Union([Type.Boolean(), Type.String({ minLength: 1, maxLength: 200 })], { description: "true takes the provider's essential scope away; a string names the scope." })),
  errorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of token and API calls answered 5xx.' })),
  rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'API calls per sliding minute before 429 with Retry-After.' })),
  latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: 'Delay before every answer.' })),
  downForSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, description: 'Drop every connection for this long from now (on GET: the time left).' })),
});
type Faults = Static<typeof Faults>;

const AccountIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
type AccountIdParams = Static<typeof AccountIdParams>;

const AccountCreated = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  scenario: Type.String(),
  seed: Type.Integer(),
  credentials: Type.Object({}, { additionalProperties: true, description: "The exact body to POST to the provider's credentials route." }),
});

const AccountView = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  scenario: Type.String(),
  seed: Type.Integer(),
  createdTime: Type.String(),
  clientId: Type.String({ description: "The account's app client id (secrets are shown once, on creation)." }),
  faults: Faults,
  organizations: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), name: Type.String(), connected: Type.Boolean() })),
  fieldCount: Type.Integer(),
});

const Stats = Type.Object({
  tokenRequests: Type.Integer(),
  refreshes: Type.Integer(),
  refreshTokensRedeemedTwice: Type.Integer(),
  invalidGrantAnswers: Type.Integer(),
  apiCalls: Type.Integer(),
  rateLimited: Type.Integer(),
});

const AddFileBody = Type.Object({
  fieldId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The field the file was recorded on; the account's fields in turn when left out." })),
  format: Type.Optional(Type.Union([Type.Literal('isoxml'), Type.Literal('shapefile')], { description: 'A zipped ISOXML TASKDATA set or a zipped point shapefile.' })),
  operation: Type.Optional(Type.Union([Type.Literal('harvest'), Type.Literal('seeding'), Type.Literal('application'), Type.Literal('tillage')])),
  points: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ADDED_FILE_POINTS, description: 'Logged positions (ISOXML: about 50 bytes each); 120 when left out.' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  transfer: Type.Optional(
    Type.Union([Type.Literal('upload'), Type.Literal('wireless')], {
      description: "How the data reached the provider: 'upload' (default), a file in the provider's file store (John Deere's Files API); 'wireless', sent from the machine, so only a processed field operation (John Deere's field operations).",
    }),
  ),
});
type AddFileBody = Static<typeof AddFileBody>;

const AddedFile = Type.Object({ id: Type.String(), number: Type.String(), fieldId: Type.String(), organizationId: Type.String(), name: Type.String(), format: Type.String(), operation: Type.String(), size: Type.Integer(), revision: Type.Integer() });

const ExportsBody = Type.Object({
  pendingAnswers: Type.Integer({ minimum: 0, maximum: 1_000_000, description: "How many times each asynchronous export (John Deere's /fieldOps) answers 202 before its 307; a large number makes exports that never finish." }),
});
type ExportsBody = Static<typeof ExportsBody>;

const FieldIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), fieldId: Type.String({ minLength: 1, maxLength: 100 }) });
type FieldIdParams = Static<typeof FieldIdParams>;

const ChangeBoundaryBody = Type.Object({
  geometry: Type.Optional(
    Type.Object(
      { type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 3 }), { minItems: 4 }), { minItems: 1 }), { minItems: 1 }) },
      { description: 'The new boundary in WGS 84; the current one grown by about 10 % when left out.' },
    ),
  ),
});
type ChangeBoundaryBody = Static<typeof ChangeBoundaryBody>;

const ChangedBoundary = Type.Object({ id: Type.String(), fieldId: Type.String(), revision: Type.Integer(), areaHectares: Type.Number() });

/**
 * Mounts the control API and the emulators. Register it on the API app without a prefix, after
 * the bearer-token hook: the control routes need `request.owner`; the emulator routes are marked
 * `config.public` and hidden from the OpenAPI document here, so no emulator can forget to.
 */
export const sandboxRoutes: FastifyPluginAsync<SandboxRoutesOptions> = async (app, options) => {
  await app.register(controlRoutes, { ...options, prefix: CONTROL_PATH });
  for (const provider of Object.values(options.providers)) {
    const emulator = provider.emulator;
    if (emulator === undefined) continue;
    if (`${SANDBOX_PATH}/${provider.id}` === CONTROL_PATH) throw new Error(`A provider id "${provider.id}" collides with the sandbox control API at ${CONTROL_PATH}; rename the provider.`);
    await app.register(
      async (scope: FastifyInstance) => {
        scope.addHook('onRoute', (route) => {
          route.config = { ...(route.config ?? {}), public: true };
          route.schema = { ...(route.schema ?? {}), hide: true };
        });
        // OAuth token requests and consent forms are form-encoded (RFC 6749 section 4.1.3); Fastify parses only JSON.
        if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
          scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
            done(null, parseForm(String(body)));
          });
        }
        await emulator.routes(scope, createEmulatorContext({ providerId: provider.id, emulator, store: options.store, basePath: scope.prefix }));
      },
      { prefix: `${SANDBOX_PATH}/${provider.id}` },
    );
  }
};

const controlRoutes: FastifyPluginAsync<SandboxRoutesOptions> = async (app, { providers, store }) => {
  const tags = ['sandbox'];
  const emulated = Object.values(providers).filter((p) => p.emulator !== undefined).map((p) => p.id);
  const owned = (request: FastifyRequest<{ Params: AccountIdParams }>): SandboxAccount => {
    const account = store.getOwned(request.params.id, ownerOf(request).ownerId);
    if (account === undefined) throw new FurrowError('not_found', `No sandbox account ${request.params.id}; create one with POST ${CONTROL_PATH}/accounts.`);
    return account;
  };

  app.post<{ Body: CreateAccountBody }>(
    '/accounts',
    { schema: { tags, summary: "Create a sandbox account; answers the body to POST to the provider's credentials route.", body: CreateAccountBody, response: { 201: AccountCreated } } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { provider: providerId, scenario = 'default', seed, fields } = request.body;
      const provider = Object.hasOwn(providers, providerId) ? providers[providerId] : undefined;
      if (provider === undefined) {
        throw new FurrowError('validation_failed', `Unknown provider "${providerId}"; expected one of: ${emulated.join(', ')}.`, { fieldErrors: [{ field: 'body.provider', message: `must be one of: ${emulated.join(', ')}` }] });
      }
      if (provider.emulator === undefined) {
        const message = `${provider.name} (${provider.id}) has no sandbox emulator yet; sandbox accounts can be created for: ${emulated.join(', ')}.`;
        throw new FurrowError('validation_failed', message, { fieldErrors: [{ field: 'body.provider', message: 'has no sandbox emulator yet' }] });
      }
      if (fields !== undefined && scenario !== 'large') {
        throw new FurrowError('validation_failed', `fields sets the size of the large scenario; found it with scenario "${scenario}". Send scenario: "large" or leave fields out.`, { fieldErrors: [{ field: 'body.fields', message: 'applies to scenario "large" only' }] });
      }
      const { account, refreshToken } = store.create({ ownerId: owner.ownerId, providerId: provider.id, policy: provider.emulator.oauth, scenario, seed, fields });
      reply.code(201).header('Location', `${CONTROL_PATH}/accounts/${account.id}`);
      return { id: account.id, provider: provider.id, scenario, seed: account.seed, credentials: provider.emulator.credentialBody(account.view, { refreshToken }) };
    },
  );

  app.get<{ Params: AccountIdParams }>(
    '/accounts/:id',
    { schema: { tags, summary: 'A sandbox account: its data, faults and app client id (no secrets).', params: AccountIdParams, response: { 200: AccountView } } },
    async (request) => {
      const account = owned(request);
      return {
        id: account.id,
        provider: account.providerId,
        scenario: account.scenario,
        seed: account.seed,
        createdTime: account.createdTime,
        clientId: account.view.app.clientId,
        faults: store.describeFaults(account),
        organizations: account.view.organizations.map(({ id, number, name, connected }) => ({ id, number, name, connected })),
        fieldCount: account.view.fields.length,
      };
    },
  );

  app.post<{ Params: AccountIdParams; Body: Faults }>(
    '/accounts/:id/faults',
    { schema: { tags, summary: 'Replace the faults of a sandbox account ({} clears them all).', params: AccountIdParams, body: Faults, response: { 200: Type.Object({ faults: Faults }) } } },
    async (request) => ({ faults: store.setFaults(owned(request), request.body) }),
  );

  const operationOf = (account: SandboxAccount): SandboxOperationData => {
    const operation = account.view.operation;
    if (!(operation instanceof SandboxOperationData)) throw new Error(`Sandbox account ${account.id} holds operation data the control API cannot change.`);
    return operation;
  };
  const fieldOf = (account: SandboxAccount, fieldId: string | undefined, at: string) => {
    if (fieldId !== undefined && !account.view.fields.some((f) => f.id === fieldId)) {
      throw new FurrowError('not_found', `No field ${fieldId} in sandbox account ${account.id}; GET ${CONTROL_PATH}/accounts/${account.id} lists the organizations, and the provider's API lists their fields.`, { fieldErrors: [{ field: at, message: 'is not a field of this account' }] });
    }
    if (account.view.fields.length === 0) throw new FurrowError('validation_failed', `Sandbox account ${account.id} (scenario ${account.scenario}) has no fields to change; create a default or large account.`);
  };

  app.post<{ Params: AccountIdParams; Body: AddFileBody }>(
    '/accounts/:id/files',
    { schema: { tags, summary: "Add a machine file to a field of a sandbox account, as if a machine uploaded it; providers with events announce it.", params: AccountIdParams, body: AddFileBody, response: { 201: AddedFile } } },
    async (request, reply) => {
      const account = owned(request);
      fieldOf(account, request.body.fieldId, 'body.fieldId');
      const file = operationOf(account).addFile(request.body, store.now());
      reply.code(201);
      return { id: file.id, number: file.number, fieldId: file.fieldId, organizationId: file.organizationId, name: file.name, format: file.format, operation: file.operation, size: file.size, revision: file.revision };
    },
  );

  app.post<{ Params: FieldIdParams; Body: ChangeBoundaryBody }>(
    '/accounts/:id/boundaries/:fieldId',
    { schema: { tags, summary: "Give a field of a sandbox account a new boundary (the old one becomes inactive); providers with events announce it.", params: FieldIdParams, body: ChangeBoundaryBody, response: { 201: ChangedBoundary } } },
    async (request, reply) => {
      const account = owned(request as unknown as FastifyRequest<{ Params: AccountIdParams }>);
      fieldOf(account, request.params.fieldId, 'params.fieldId');
      const boundary = operationOf(account).changeBoundary(request.params.fieldId, request.body.geometry?.coordinates, store.now());
      reply.code(201);
      return { id: boundary.id, fieldId: boundary.fieldId, revision: boundary.revision, areaHectares: boundary.areaHectares };
    },
  );

  app.post<{ Params: AccountIdParams; Body: ExportsBody }>(
    '/accounts/:id/exports',
    { schema: { tags, summary: "Set how long a sandbox account's asynchronous exports stay in preparation (counted in 202 answers per export).", params: AccountIdParams, body: ExportsBody, response: { 200: ExportsBody } } },
    async (request) => {
      operationOf(owned(request)).exportPendingAnswers = request.body.pendingAnswers;
      return { pendingAnswers: request.body.pendingAnswers };
    },
  );

  app.get<{ Params: AccountIdParams }>(
    '/accounts/:id/stats',
    { schema: { tags, summary: 'Token requests, refreshes, refresh tokens redeemed twice, invalid_grant answers, API calls and 429s.', params: AccountIdParams, response: { 200: Stats } } },
    async (request) => ({ ...owned(request).stats }),
  );
};

function ownerOf(request: FastifyRequest): OwnerContext {
  const owner = request.owner as OwnerContext | null | undefined;
  if (owner === null || owner === undefined) {
    throw new FurrowError('authentication_required', 'The sandbox control API needs an API owner: send Authorization: Bearer <id_token> from POST /api/authenticate.');
  }
  return owner;
}

/**
 * A form body as an object: a repeated name (checkboxes) becomes a list. Built from a Map, so a
 * name like `__proto__` becomes an own property and never a prototype.
 */
export function parseForm(body: string): Record<string, string | string[]> {
  const values = new Map<string, string | string[]>();
  for (const [name, value] of new URLSearchParams(body)) {
    const previous = values.get(name);
    values.set(name, previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]);
  }
  return Object.fromEntries(values);
}
