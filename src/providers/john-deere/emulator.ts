/**
 * John Deere served locally (providers.md 1.8): Okta's authorize, token and revoke endpoints and
 * discovery document, the platform API's organizations with `nextPage` paging, organization
 * connections (403 on an organization the grower has not connected), and a connections page that
 * connects and disconnects them. Paths are the production ones (`client.ts` hosts), below
 * `/sandbox/john-deere`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatedOrganization, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { DEERE_MEDIA_TYPE, JOHN_DEERE_HOSTS, type JohnDeereCredentialFields } from './client.js';
import { registerSyncRoutes } from './emulator-sync.js';

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it. */
function sandboxPathOf(urls: HostUrls): string {
  return urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
}

const SIGN_IN = sandboxPathOf(JOHN_DEERE_HOSTS.signIn);
export const API = sandboxPathOf(JOHN_DEERE_HOSTS.api);
const CONNECTIONS = '/connections';

/** [I] The scope every `/platform` route asks for here: `ag1` ("view locations") is the least data scope (providers.md 1.1). */
const DATA_SCOPE = 'ag1';
/** [I] Small pages, so clients must follow `nextPage` (providers.md 1.8); `itemLimit` asks for more. */
const ORGANIZATIONS_PAGE_SIZE = 2;
export const COLLECTION_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

/** The scopes of Deere's docs (providers.md 1.1); new sandbox grants get them all. */
const DEERE_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'ag1', 'ag2', 'ag3', 'eq1', 'eq2', 'org1', 'org2', 'work1', 'work2', 'files'];

/** The John Deere emulator. */
export const johnDeereEmulator: ProviderEmulator<JohnDeereCredentialFields> = {
  oauth: {
    accessTokenSeconds: 43_200, // 12 h [3P] (providers.md 1.1)
    // "Refresh tokens expire after 365 days of inactivity" [3P]; not rotated [I]: Okta returns the
    // same refresh token when rotation is off, and nothing says Deere turned it on.
    refreshTokenSeconds: 365 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    scopes: DEERE_SCOPES,
    essentialScope: DATA_SCOPE,
  },

  credentialBody: (account, grant) => ({
    clientKey: account.app.clientId,
    clientSecret: account.app.clientSecret,
    refreshToken: grant.refreshToken,
    // Leaf: "STAGE (also known as Sandbox or Test)".
    clientEnvironment: 'STAGE',
  }),

  faultAnswer(fault: InjectedFault) {
    const retryAfter = { 'retry-after': String(fault.retryAfterSeconds) };
    if (fault.fault === 'rate_limited') {
      // The description of Deere's documented 429 (providers.md 1.2); the body shape is [I].
      return { status: 429, headers: { ...retryAfter, 'content-type': DEERE_MEDIA_TYPE }, body: deereErrors('The user has sent too many requests in a given amount of time.') };
    }
    if (fault.kind === 'token') return { status: 503, headers: retryAfter, body: { error: 'temporarily_unavailable', error_description: 'The sandbox injected a server error.' } };
    return { status: 503, headers: { ...retryAfter, 'content-type': DEERE_MEDIA_TYPE }, body: deereErrors('The sandbox injected a server error.') };
  },

  async routes(app, ctx) {
    // Deere's request bodies carry its own media type (providers.md 1.2); they are JSON.
    app.addContentTypeParser(DEERE_MEDIA_TYPE, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(String(body)));
      } catch (error) {
        done(Object.assign(error instanceof Error ? error : new Error(String(error)), { statusCode: 400 }), undefined);
      }
    });
    const byClient = (request: FastifyRequest) => ctx.accountByBasicAuth(request.headers.authorization);
    const byBearer = (request: FastifyRequest) => ctx.accountByBearer(request.headers.authorization);

    app.get(`${SIGN_IN}/.well-known/oauth-authorization-server`, async (request) => {
      const issuer = ctx.publicUrl(request, SIGN_IN);
      return {
        issuer,
        authorization_endpoint: `${issuer}/v1/authorize`,
        token_endpoint: `${issuer}/v1/token`,
        revocation_endpoint: `${issuer}/v1/revoke`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: DEERE_SCOPES,
      };
    });

    ctx.registerAuthorizePage(app, `${SIGN_IN}/v1/authorize`, { providerName: 'John Deere' });

    app.post(`${SIGN_IN}/v1/token`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const account = ctx.authenticateClient(request.headers.authorization);
      if (account === undefined) return oktaError(reply, 401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.');
      const form = formOf(request.body);
      const outcome = ctx.redeemTokenRequest(account, form);
      if (!outcome.ok) return oktaError(reply, 400, outcome.error, outcome.description);
      const { tokens } = outcome;
      // RFC 6749 section 5.1: token answers are never cached.
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        access_token: tokens.accessToken,
        scope: tokens.scopes.join(' '),
        refresh_token: tokens.refreshToken,
      });
    });

    app.post(`${SIGN_IN}/v1/revoke`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const account = ctx.authenticateClient(request.headers.authorization);
      if (account === undefined) return oktaError(reply, 401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.');
      const token = formOf(request.body)['token'];
      if (token === undefined) return oktaError(reply, 400, 'invalid_request', 'The token parameter is required.');
      ctx.revokeToken(account, token);
      // RFC 7009 section 2.2: 200 whether or not the token was known.
      return reply.code(200).send();
    });

    app.get(`${API}/organizations`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const values = account.organizations.map((o) => organizationJson(ctx, request, account, o));
      return sendPage(ctx, request, reply, `${API}/organizations`, values, ORGANIZATIONS_PAGE_SIZE);
    });

    app.get<{ Params: { orgId: string } }>(`${API}/organizations/:orgId`, { preHandler: ctx.guard('api', byBearer) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const organization = account.organizations.find((o) => o.number === request.params.orgId);
      if (organization === undefined) return reply.code(404).type(DEERE_MEDIA_TYPE).send(deereErrors(`No organization ${request.params.orgId}.`));
      return reply.type(DEERE_MEDIA_TYPE).send(organizationJson(ctx, request, account, organization));
    });

    await registerSyncRoutes(app, ctx);

    // connections.deere.com (providers.md 1.1 and 1.8): the grower picks the organizations the
    // application may use. [I] One page serves both links; a real grower would be signed in.
    for (const page of ['select-organizations', 'connections-dialog']) {
      const path = `${CONNECTIONS}/:clientId/${page}`;
      type Route = { Params: { clientId: string } };
      const byPath = (request: FastifyRequest<Route>) => ctx.accountByClientId(request.params.clientId);
      app.get<Route>(path, { preHandler: ctx.guard('page', (request) => byPath(request as FastifyRequest<Route>)) }, async (request, reply) => {
        const account = byPath(request);
        if (account === undefined) return reply.code(404).type('text/plain').send(`No sandbox account has client id ${request.params.clientId}.`);
        const redirectUri = stringOf((request.query as Record<string, unknown>)['redirect_uri']);
        return reply.headers(PAGE_HEADERS).send(connectionsPage(account, redirectUri));
      });
      app.post<Route>(path, { preHandler: ctx.guard('page', (request) => byPath(request as FastifyRequest<Route>)) }, async (request, reply) => {
        const account = byPath(request);
        if (account === undefined) return reply.code(404).type('text/plain').send(`No sandbox account has client id ${request.params.clientId}.`);
        const body = (request.body ?? {}) as Record<string, unknown>;
        const chosen = new Set([body['organization']].flat().filter((v): v is string => typeof v === 'string'));
        for (const organization of account.organizations) ctx.setOrganizationConnected(account, organization.id, chosen.has(organization.number));
        const redirectUri = stringOf(body['redirect_uri']);
        if (redirectUri !== undefined && /^https?:\/\//i.test(redirectUri)) return reply.redirect(redirectUri, 302);
        return reply.type('text/plain').send(`Connected organizations: ${[...chosen].join(', ') || 'none'}.`);
      });
    }
  },
};

/** The account of a valid bearer token with the data scope, or `undefined` after answering 401/403/406. */
export function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok) {
    // RFC 6750 section 3.1: an expired or revoked token is `invalid_token`.
    reply.code(401).header('www-authenticate', `Bearer error="invalid_token", error_description="${check.description.replace(/"/g, "'")}"`).type(DEERE_MEDIA_TYPE).send(deereErrors(check.description));
    return undefined;
  }
  if (!check.scopes.includes(DATA_SCOPE)) {
    reply.code(403).header('www-authenticate', `Bearer error="insufficient_scope", scope="${DATA_SCOPE}"`).type(DEERE_MEDIA_TYPE).send(deereErrors(`The access token lacks the ${DATA_SCOPE} scope.`));
    return undefined;
  }
  const accept = request.headers.accept;
  // [I] Deere answers its own media type; a client asking for something else specific is told so.
  if (accept !== undefined && !/vnd\.deere\.axiom\.v3\+json|application\/json|\*\/\*/i.test(accept)) {
    reply.code(406).type(DEERE_MEDIA_TYPE).send(deereErrors(`Expected Accept: ${DEERE_MEDIA_TYPE}; found ${accept}.`));
    return undefined;
  }
  return check.account;
}

/** A Deere collection page (`{ links, total, values }`) with a `nextPage` link while more remain. */
export function sendPage(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply, path: string, values: unknown[], defaultSize: number) {
  const query = request.query as Record<string, unknown>;
  const offset = Math.max(0, Number.parseInt(stringOf(query['pageOffset']) ?? '0', 10) || 0);
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Number.parseInt(stringOf(query['itemLimit']) ?? String(defaultSize), 10) || defaultSize));
  const links = [link('self', ctx.publicUrl(request, pageUrl(path, query, offset, size)))];
  // [I] pageOffset/itemLimit as in the equipment API's documented nextPage (providers.md 1.2).
  if (offset + size < values.length) links.push(link('nextPage', ctx.publicUrl(request, pageUrl(path, query, offset + size, size))));
  return reply.type(DEERE_MEDIA_TYPE).send({ links, total: values.length, values: values.slice(offset, offset + size) });
}

/** A page's path: the request's other parameters (`embed`, filters) kept, as Deere's sample nextPage keeps `organizationIds`. */
export function pageUrl(path: string, query: Record<string, unknown>, offset: number, size: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (name === 'pageOffset' || name === 'itemLimit') continue;
    const text = stringOf(value);
    if (text !== undefined) params.set(name, text);
  }
  params.set('pageOffset', String(offset));
  params.set('itemLimit', String(size));
  return `${path}?${params.toString()}`;
}

/** An organization as providers.md 1.3 shows it: `manage_connections` when connected, `connections` when not. */
function organizationJson(ctx: EmulatorContext, request: FastifyRequest, account: EmulatedAccount, organization: EmulatedOrganization) {
  const links = [link('self', ctx.publicUrl(request, `${API}/organizations/${organization.number}`))];
  if (organization.connected) {
    links.push(link('manage_connections', ctx.publicUrl(request, `${CONNECTIONS}/${account.app.clientId}/connections-dialog?orgId=${organization.number}`)));
    links.push(link('fields', ctx.publicUrl(request, `${API}/organizations/${organization.number}/fields`)));
  } else {
    links.push(link('connections', ctx.publicUrl(request, `${CONNECTIONS}/${account.app.clientId}/select-organizations`)));
  }
  return { '@type': 'Organization', name: organization.name, type: 'customer', member: true, internal: false, id: organization.number, links };
}

/** No scripts, no framing: the page only posts a form. */
const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'", 'cache-control': 'no-store' };

export function link(rel: string, uri: string) {
  return { '@type': 'Link', rel, uri };
}

/** [I] Deere's error list shape (providers.md 1.7: `[{ guid, message, ... }]`) under `errors`. */
export function deereErrors(message: string) {
  return { errors: [{ guid: crypto.randomUUID(), message }] };
}

/** Okta's OAuth error body (providers.md 1.1: `{"error":"invalid_grant","error_description":...}`). */
function oktaError(reply: FastifyReply, status: number, error: string, description: string) {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="sandbox"');
  return reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error, error_description: description });
}

function formOf(body: unknown): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return form;
  for (const [name, value] of Object.entries(body)) form[name] = stringOf(value);
  return form;
}

export function stringOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function connectionsPage(account: EmulatedAccount, redirectUri: string | undefined): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const items = account.organizations
    .map((o) => `<li><label><input type="checkbox" name="organization" value="${escape(o.number)}"${o.connected ? ' checked' : ''}> ${escape(o.name)} (${escape(o.number)})</label></li>`)
    .join('');
  const hidden = redirectUri === undefined ? '' : `<input type="hidden" name="redirect_uri" value="${escape(redirectUri)}">`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>John Deere (sandbox): connections</title></head><body><h1>Organizations this application may use</h1><form method="post">${hidden}<ul>${items}</ul><button type="submit" id="submit">Save</button></form></body></html>`;
}
