/**
 * Sentera served locally (providers.md 10.8): the legacy session login `POST /v1/sessions` and a
 * small GraphQL server at `/graphql` (POST JSON or form, or GET) answering `organizations` and
 * `fields` with `pagination`, GraphQL errors with HTTP 200, and 401 for a missing or dead token.
 * Paths are the production ones, below `/sandbox/sentera`.
 *
 * A sandbox account maps onto Sentera like this: its grower is the FieldAgent user, whose email
 * carries the app's client id (`name+<client id>@...`) so the login finds the account; the
 * account's grant is the password (its refresh token is the password's text) and every login
 * redeems it for a session token. So a login counts as a refresh in the stats and a refused one as
 * an `invalid_grant` answer, the `revoke` fault is a changed password (which also ends the
 * sessions), and `limitedPermission` takes `read_fields` away from the sessions.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import { SESSION_LIFETIME_DAYS, type SenteraCredentialFields } from './client.js';
import { parseGraphqlQuery, type GraphqlField } from './parse-graphql-query.js';

/** The one scope Sentera's docs show (`"scope": "read_fields"`, providers.md 10.1); [I] organizations need none. */
const READ_FIELDS = 'read_fields';
/** [I] A password does not expire; ten years is "never" for a sandbox. */
const PASSWORD_SECONDS = 10 * 365 * 24 * 3600;
/** [I] Limits of `pagination` (the docs' examples ask for 100). */
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 25;

/** The Sentera emulator. */
export const senteraEmulator: ProviderEmulator<SenteraCredentialFields> = {
  oauth: {
    // "The auth_token will expire after 3 months" (providers.md 10.1).
    accessTokenSeconds: SESSION_LIFETIME_DAYS * 24 * 3600,
    refreshTokenSeconds: PASSWORD_SECONDS,
    refreshTokenLifetime: 'fixed',
    scopes: [READ_FIELDS],
    essentialScope: READ_FIELDS,
  },

  credentialBody: (account, grant) => ({
    username: usernameOf(account),
    password: grant.refreshToken,
    organizationName: organizationNameFor(account),
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    // [I] Sentera's 429 and 5xx bodies are not documented: GraphQL's error list on the API, Rails' `error` on the login.
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: graphqlErrors('Too many requests; retry later.', 'RATE_LIMITED') };
    if (fault.kind === 'token') return { status: 503, headers, body: { error: 'Service Unavailable' } };
    return { status: 503, headers, body: graphqlErrors('Service Unavailable', 'SERVICE_UNAVAILABLE') };
  },

  async routes(app, ctx) {
    const byEmail = (request: FastifyRequest) => accountByEmail(ctx, sessionOf(request.body)?.email);
    const byToken = (request: FastifyRequest) => {
      const token = tokenOf(request.headers.authorization);
      return token === undefined ? undefined : ctx.accountByBearer(`Bearer ${token}`);
    };

    app.post('/v1/sessions', { preHandler: ctx.guard('token', byEmail) }, async (request, reply) => {
      const session = sessionOf(request.body);
      if (session === undefined) return reply.code(400).send({ error: 'param is missing or the value is empty: session' });
      const account = accountByEmail(ctx, session.email);
      if (account === undefined || session.password === undefined) return reply.code(401).send({ error: 'Invalid email or password.' });
      const outcome = ctx.redeemRefreshToken(account, session.password);
      if (!outcome.ok) return reply.code(401).send({ error: 'Invalid email or password.' });
      return reply.code(200).send({
        auth_token: outcome.tokens.accessToken,
        user_sentera_id: userSenteraIdOf(account),
        user_email: usernameOf(account),
        status: 'active',
        device_id: crypto.randomBytes(4).toString('hex').slice(0, 7),
      });
    });

    const graphql = async (request: FastifyRequest, reply: FastifyReply) => {
      const token = tokenOf(request.headers.authorization);
      const check = ctx.checkAccessToken(token === undefined ? undefined : `Bearer ${token}`);
      // [I] Authentication is checked before GraphQL runs, as a Rails controller does: HTTP 401.
      if (!check.ok) return reply.code(401).send(graphqlErrors(check.description, 'UNAUTHENTICATED'));
      const input = graphqlInput(request.method === 'GET' ? request.query : request.body);
      if (typeof input === 'string') return reply.code(200).send(graphqlErrors(input));
      const parsed = parseGraphqlQuery(input.query, input.variables);
      if (!parsed.ok) return reply.code(200).send(graphqlErrors(parsed.message));
      const invalid = validate(parsed.selections, 'Query');
      if (invalid.length > 0) return reply.code(200).send({ errors: invalid.map((message) => ({ message })) });
      return reply.code(200).send(execute(check.account, check.scopes, parsed.selections));
    };
    app.post('/graphql', { preHandler: ctx.guard('api', byToken) }, graphql);
    app.get('/graphql', { preHandler: ctx.guard('api', byToken) }, graphql);
  },
};

/** The schema subset served: each type's fields and the type each returns (`null` for scalars). */
const SCHEMA: Record<string, Record<string, string | null>> = {
  Query: { organizations: 'OrganizationsQueryResult', fields: 'FieldsQueryResult', __typename: null },
  OrganizationsQueryResult: { total_count: null, page: null, page_size: null, present: null, results: 'Organization', __typename: null },
  FieldsQueryResult: { total_count: null, page: null, page_size: null, present: null, results: 'Field', __typename: null },
  Organization: { sentera_id: null, name: null, organization_type: null, parent_organization_id: null, __typename: null },
  Field: { sentera_id: null, name: null, latitude: null, longitude: null, __typename: null },
};

/** Validation before execution (GraphQL spec section 5.3), in graphql-ruby's words [I]. */
function validate(selections: GraphqlField[], type: string): string[] {
  const errors: string[] = [];
  for (const field of selections) {
    const fields = SCHEMA[type]!;
    if (!Object.hasOwn(fields, field.name)) {
      errors.push(`Field '${field.name}' doesn't exist on type '${type}'`);
      continue;
    }
    const returns = fields[field.name];
    if (returns === null && field.selections.length > 0) errors.push(`Selections can't be made on scalars (field '${field.name}' returns a scalar but has selections)`);
    if (returns !== null && returns !== undefined) {
      if (field.selections.length === 0) errors.push(`Field must have selections (field '${field.name}' returns ${returns} but has no selections. Did you mean '${field.name} { ... }'?)`);
      else errors.push(...validate(field.selections, returns));
    }
  }
  if (type === 'Query') {
    for (const field of selections) if (field.name === 'organizations' && field.arguments['pagination'] === undefined) errors.push("Field 'organizations' is missing required arguments: pagination");
  }
  return errors;
}

/** Runs the top-level fields; a field that fails is `null` with an error saying why (spec section 6.4.4). */
function execute(account: EmulatedAccount, scopes: readonly string[], selections: GraphqlField[]) {
  const data: Record<string, unknown> = {};
  const errors: { message: string; path: string[]; extensions: { code: string } }[] = [];
  for (const field of selections) {
    if (field.name === '__typename') {
      data[field.key] = 'Query';
      continue;
    }
    const pagination = paginationOf(field.arguments['pagination']);
    if (typeof pagination === 'string') {
      data[field.key] = null;
      errors.push({ message: pagination, path: [field.key], extensions: { code: 'INVALID_ARGUMENT' } });
      continue;
    }
    const organizations = organizationsOf(account);
    if (field.name === 'organizations') {
      data[field.key] = project(pageOf(organizations.map(organizationJson), pagination), field.selections, 'OrganizationsQueryResult');
      continue;
    }
    if (!scopes.includes(READ_FIELDS)) {
      data[field.key] = null;
      errors.push({ message: 'You are not authorized to view fields.', path: [field.key], extensions: { code: 'FORBIDDEN' } });
      continue;
    }
    // "the current user's organization" unless `owner_id` names one (providers.md 10.3).
    const ownerId = field.arguments['owner_id'];
    const owner = typeof ownerId === 'string' ? organizations.find((organization) => organization.id === ownerId) : organizations[0];
    if (owner === undefined) {
      data[field.key] = null;
      errors.push({ message: `Organization ${String(ownerId)} was not found.`, path: [field.key], extensions: { code: 'NOT_FOUND' } });
      continue;
    }
    const fields = account.fields.filter((candidate) => candidate.organizationId === owner.id).map((candidate) => ({ sentera_id: candidate.id, name: candidate.name, latitude: null, longitude: null }));
    data[field.key] = project(pageOf(fields, pagination), field.selections, 'FieldsQueryResult');
  }
  return errors.length === 0 ? { data } : { data, errors };
}

function pageOf(results: Record<string, unknown>[], pagination: { page: number; pageSize: number }) {
  const start = (pagination.page - 1) * pagination.pageSize;
  const page = results.slice(start, start + pagination.pageSize);
  return { total_count: results.length, page: pagination.page, page_size: pagination.pageSize, present: page.length > 0, results: page };
}

/** The value of `type` with only the selected keys (aliases applied), lists element by element. */
function project(value: unknown, selections: GraphqlField[], type: string): unknown {
  if (Array.isArray(value)) return value.map((item) => project(item, selections, type));
  if (value === null || value === undefined || typeof value !== 'object') return value ?? null;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    selections.map((field) => {
      if (field.name === '__typename') return [field.key, type];
      const child = SCHEMA[type]?.[field.name];
      return [field.key, typeof child === 'string' ? project(object[field.name], field.selections, child) : (object[field.name] ?? null)];
    }),
  );
}

/** `pagination: { page, page_size }`; pages start at 1 (providers.md 10.4's example). */
function paginationOf(value: unknown): { page: number; pageSize: number } | string {
  if (value === undefined || value === null) return { page: 1, pageSize: DEFAULT_PAGE_SIZE };
  const { page, page_size: pageSize } = value as { page?: unknown; page_size?: unknown };
  if (!Number.isInteger(page) || (page as number) < 1) return `pagination.page must be an integer of 1 or more; found ${JSON.stringify(page)}.`;
  if (!Number.isInteger(pageSize) || (pageSize as number) < 1 || (pageSize as number) > MAX_PAGE_SIZE) return `pagination.page_size must be an integer from 1 to ${MAX_PAGE_SIZE}; found ${JSON.stringify(pageSize)}.`;
  return { page: page as number, pageSize: pageSize as number };
}

/** The organizations the user can access: the account's, or, for an empty account, the user's own (every user has one). */
function organizationsOf(account: EmulatedAccount): { id: string; name: string }[] {
  if (account.organizations.length > 0) return account.organizations.map(({ id, name }) => ({ id, name }));
  return [{ id: account.grower.id, name: `${account.grower.name.split(' ').at(-1) ?? 'Home'} Home Farm` }];
}

function organizationJson(organization: { id: string; name: string }) {
  return { sentera_id: organization.id, name: organization.name, organization_type: 'GROWER', parent_organization_id: null };
}

/** The name the credential body gives: the first organization whose name no other shares, so the lookup finds one. */
function organizationNameFor(account: EmulatedAccount): string {
  const organizations = organizationsOf(account);
  const unique = organizations.find((organization) => organizations.filter((other) => other.name === organization.name).length === 1);
  return (unique ?? organizations[0]!).name;
}

/** The grower's email with the app's client id as a `+` tag, which the login reads the account from. */
function usernameOf(account: EmulatedAccount): string {
  const [local, domain] = account.grower.email.split('@');
  return `${local}+${account.app.clientId}@${domain}`;
}

function accountByEmail(ctx: EmulatorContext, email: string | undefined): EmulatedAccount | undefined {
  const clientId = /\+([^@+]+)@/.exec(email ?? '')?.[1];
  const account = clientId === undefined ? undefined : ctx.accountByClientId(clientId);
  return account !== undefined && usernameOf(account).toLowerCase() === email!.trim().toLowerCase() ? account : undefined;
}

/** [I] Shaped like the documented `user_sentera_id` (`1v0dykn_US_...`). */
function userSenteraIdOf(account: EmulatedAccount): string {
  return `${account.grower.id.slice(0, 7)}_US_sandbox_${account.grower.id.slice(-8)}`;
}

function sessionOf(body: unknown): { email: string | undefined; password: string | undefined } | undefined {
  const session = body !== null && typeof body === 'object' ? (body as { session?: unknown }).session : undefined;
  if (session === null || typeof session !== 'object') return undefined;
  const { email, password } = session as { email?: unknown; password?: unknown };
  return { email: typeof email === 'string' ? email : undefined, password: typeof password === 'string' ? password : undefined };
}

/** The token of `Authorization: Bearer <token>`, or of a bare `Authorization: <token>` ("sent in the Authorization header", providers.md 10.1). */
function tokenOf(authorization: string | undefined): string | undefined {
  return /^(?:(?:Bearer|Token)\s+)?(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** `{ query, variables }` from a JSON body, a form body or the query string, or why not. */
function graphqlInput(input: unknown): { query: string; variables: Record<string, unknown> } | string {
  const object = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const query = Array.isArray(object['query']) ? object['query'][0] : object['query'];
  if (typeof query !== 'string' || query.trim() === '') return 'No query string was present';
  let variables: unknown = object['variables'] ?? {};
  if (typeof variables === 'string') {
    try {
      variables = variables === '' ? {} : JSON.parse(variables);
    } catch {
      return 'Variables must be a JSON object.';
    }
  }
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) return 'Variables must be a JSON object.';
  return { query, variables: variables as Record<string, unknown> };
}

function graphqlErrors(message: string, code?: string) {
  return { errors: [code === undefined ? { message } : { message, extensions: { code } }] };
}
